"""Literate notebooks: executed from their text source; a failing cell fails in one line."""

import pytest

from anatomy.pipeline.notebooks import NotebookError, execute


def executed(tmp_path, name: str, text: str):
    """Write ``text`` as notebook ``name``, execute it; the executed .ipynb and .html paths."""
    source = tmp_path / f"{name}.py"
    source.write_text(text)
    ipynb, html = tmp_path / f"{name}.ipynb", tmp_path / f"{name}.html"
    execute(source, ipynb, html, threads=1, timeout_s=120)
    return ipynb, html


def test_execute_writes_executed_notebook_and_html(tmp_path):
    source = tmp_path / "nb.py"
    source.write_text("# %% [markdown]\n# A title\n\n# %%\nprint(6 * 7)\n")
    execute(source, tmp_path / "nb.ipynb", tmp_path / "nb.html", threads=1, timeout_s=120)
    assert '"42\\n"' in (tmp_path / "nb.ipynb").read_text()
    assert "A title" in (tmp_path / "nb.html").read_text()


def test_failing_cell_raises_one_line_and_writes_nothing(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text('# %%\nassert 1 == 2, "the readings disagree"\n')
    with pytest.raises(NotebookError) as error:
        execute(source, tmp_path / "bad.ipynb", tmp_path / "bad.html", threads=1, timeout_s=120)
    assert "the readings disagree" in str(error.value) and "\n" not in str(error.value)
    assert not (tmp_path / "bad.ipynb").exists()


def test_a_notebook_that_uses_the_figure_style_shows_its_figures_inline(tmp_path):
    # Importing anatomy.report.plotting once forced the Agg backend, so notebooks had no images.
    ipynb, _ = executed(
        tmp_path,
        "fig",
        "# %%\nimport matplotlib.pyplot as plt\nfrom anatomy.report import plotting\n\n"
        "plotting.theme()\nfig, ax = plt.subplots()\nax.plot([1, 2, 3])\n\n"
        "# %%\nimport torch\n\n"
        "fig, _ = plotting.image_grid([torch.zeros(3, 4, 4)], ['a'], ncols=1)\n",
    )
    assert ipynb.read_text().count('"image/png"') == 2


def test_an_executed_notebook_prints_no_path_of_the_machine_that_ran_it(tmp_path):
    import json

    ipynb, _ = executed(
        tmp_path,
        "warn",
        "# %%\nimport warnings\n\n"
        'warnings.warn_explicit("old API", FutureWarning, "/opt/env/site-packages/lib.py", 7)\n'
        "print('done')\n",
    )
    cells = json.loads(ipynb.read_text())["cells"]
    assert len(cells) == 1 and "formatwarning" not in json.dumps(cells)  # the setup cell gone
    printed = "".join("".join(o.get("text", [])) for o in cells[0]["outputs"])
    assert "FutureWarning: old API" in printed and "done" in printed
    assert "/opt/env" not in printed


def test_notebook_math_is_rendered_to_mathml_with_no_script_from_the_network(tmp_path):
    _, page = executed(
        tmp_path,
        "math",
        "# %% [markdown]\n# Attention: $\\mathrm{softmax}(QK^\\top/\\sqrt d)V$, and\n#\n"
        "# $$\\sum_j A_{ij} = 1$$\n#\n# a price of \\$5.\n\n# %%\nprint(1)\n",
    )
    html = page.read_text()
    assert html.count("<math") == 2 and 'display="block"' in html
    assert "mathjax" not in html.lower() and "anatomymath" not in html
    assert "$5" in html or "\\$5" in html


@pytest.mark.parametrize(
    "name",
    [
        "attention_is_all_you_need",
        "mathematical_properties",
        "performer_kernels",
        "message_passing",
        "vision_transformer",
        "cross_attention_control",
    ],
)
def test_every_formula_of_the_pipelines_notebooks_renders_offline(name):
    from pathlib import Path

    import jupytext

    from anatomy.pipeline.notebooks import offline_math

    root = Path(__file__).resolve().parents[1]
    _, formulas = offline_math(jupytext.read(root / f"workflow/notebooks/{name}.py"))
    assert all(m.startswith("<math") for m in formulas.values())


def test_a_notebook_reads_the_pipelines_outputs_by_name_from_its_rule(tmp_path):
    import json

    from anatomy.pipeline.notebooks import inputs

    (tmp_path / "nb.inputs.json").write_text(json.dumps({"table": "data/results/x.parquet"}))
    assert inputs("nb", tmp_path) == {"table": "data/results/x.parquet"}
    with pytest.raises(FileNotFoundError, match="snakemake --cores 1 data/notebooks/other.html"):
        inputs("other", tmp_path)


def test_no_notebook_spells_a_path_of_the_pipelines_outputs():
    # Paths come from the rule (anatomy.pipeline.notebooks.inputs); prose may name them.
    from pathlib import Path

    for source in sorted((Path(__file__).resolve().parents[1] / "workflow/notebooks").glob("*.py")):
        code = [
            line for line in source.read_text().splitlines() if not line.lstrip().startswith("#")
        ]
        for line in code:
            assert '"data/' not in line and "'data/" not in line, f"{source.name}: {line.strip()}"
