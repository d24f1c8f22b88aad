"""Literate notebooks: executed from their text source; a failing cell fails in one line."""

import pytest

from anatomy.notebooks import NotebookError, execute


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
    # Importing anatomy.plotting once forced the Agg backend, so notebooks had no images.
    source = tmp_path / "fig.py"
    source.write_text(
        "# %%\nimport matplotlib.pyplot as plt\nfrom anatomy import plotting\n\n"
        "plotting.theme()\nfig, ax = plt.subplots()\nax.plot([1, 2, 3])\n\n"
        "# %%\nfig, _ = plotting.image_grid([__import__('torch').zeros(3, 4, 4)], ['a'], ncols=1)\n"
    )
    execute(source, tmp_path / "fig.ipynb", tmp_path / "fig.html", threads=1, timeout_s=120)
    assert (tmp_path / "fig.ipynb").read_text().count('"image/png"') == 2


def test_an_executed_notebook_prints_no_path_of_the_machine_that_ran_it(tmp_path):
    source = tmp_path / "warn.py"
    source.write_text(
        "# %%\nimport warnings\n\n"
        'warnings.warn_explicit("old API", FutureWarning, "/opt/env/site-packages/lib.py", 7)\n'
        "print('done')\n"
    )
    execute(source, tmp_path / "warn.ipynb", tmp_path / "warn.html", threads=1, timeout_s=120)
    import json

    cells = json.loads((tmp_path / "warn.ipynb").read_text())["cells"]
    assert len(cells) == 1 and "formatwarning" not in json.dumps(cells)  # the setup cell gone
    printed = "".join("".join(o.get("text", [])) for o in cells[0]["outputs"])
    assert "FutureWarning: old API" in printed and "done" in printed
    assert "/opt/env" not in printed
