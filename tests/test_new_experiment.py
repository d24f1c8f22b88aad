"""A new experiment is one package, one rules file, one section and one notebook, with its
settings (a block of config/default.yaml, documented in the schema) and one include line in the
Snakefile: shown here by adding one to a copy of the repository, running its measurement,
figure and notebook, and planning the note, with no other file edited. (A new operator is one
class: tests/test_plugin_operator.py.)"""

import re
import subprocess
import sys

import pytest
import yaml
from conftest import copy_of_repo

pytestmark = pytest.mark.slow

PACKAGE = '''"""A new experiment: how spread each operator's weights are as the row grows."""
'''

MEASUREMENTS = '''"""The section's measurements, in the one protocol: ``(device, settings, seed) ->
Measured`` (anatomy.core.measurement)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from anatomy.core.measurement import Measured, bench
from anatomy.core.settings import Typed


@dataclass(frozen=True)
class Spread(Typed):
    """Rows of each length of ``ns``, ``trials`` of them."""

    label = "myexp.spread"
    ns: tuple[int, ...]
    trials: int


def row_spread(device: str, s: Spread, seed: int) -> Measured:
    import torch

    from anatomy.core import operators

    g = torch.Generator().manual_seed(seed)
    rows = []
    for n in s.ns:
        scores = torch.randn(s.trials, n, generator=g)
        for name, normalize in operators.logit_normalizers().items():
            weights = normalize(scores)
            entropy = operators.row_entropy(weights).mean().item()
            rows.append({"normalizer": name, "n": n, "entropy": entropy})
    return Measured(pd.DataFrame(rows))


load = bench
MEASUREMENTS = {"row_spread": row_spread}
'''

RULES = """# A new experiment: one measurement and one figure.

REPORT_CATEGORIES["myexp"] = "A new experiment"
MEASUREMENT_RULES.update({"row_spread": measurement("myexp", "spread")})
declare("figure", "myexp_spread", "myexp", table=result("myexp", "spread"))
"""

FIGURE = '''"""Figure: the entropy of each normalizer's weights against the row length."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.table)
    fig, _ = plotting.line_panels(
        table, "n", "entropy", hue="normalizer", logy=False, xlabel="n", ylabel="entropy"
    )
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
'''

SECTION = r"""\section{A new experiment}
\label{sec:myexp}
How spread the weights are.
\sourcedgraphics{myexp_spread}
"""

NOTEBOOK = """# %% [markdown]
# # A new reading

# %%
from anatomy.core import operators

print(operators.names())
"""


def snakemake(work, *args):
    smoke = ["--cores", "2", "--configfile", "config/smoke.yaml"]  # last: it takes many values
    cmd = [sys.executable, "-m", "snakemake", *args, *smoke]
    result = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def add_experiment(work):
    """Every file a new experiment writes or edits."""
    (work / "src/anatomy/myexp").mkdir()
    (work / "src/anatomy/myexp/__init__.py").write_text(PACKAGE)
    (work / "src/anatomy/myexp/measurements.py").write_text(MEASUREMENTS)
    (work / "workflow/rules/myexp.smk").write_text(RULES)
    (work / "workflow/scripts/fig_myexp_spread.py").write_text(FIGURE)
    (work / "paper/sections/myexp.tex").write_text(SECTION)
    (work / "workflow/notebooks/myexp_reading.py").write_text(NOTEBOOK)
    snakefile = work / "Snakefile"
    include = 'include: "workflow/rules/measurement_rules.smk"'
    text = snakefile.read_text()
    snakefile.write_text(text.replace(include, f'include: "workflow/rules/myexp.smk"\n{include}'))
    # Its settings, and its name among the sections and the notebooks.
    config = work / "config/default.yaml"
    text = config.read_text()
    text = re.sub(r"^(experiments: \[.*)\]$", r"\1, myexp]", text, flags=re.M)
    text = re.sub(r"^(notebooks: \[.*)\]$", r"\1, myexp_reading]", text, flags=re.M)
    config.write_text(text + "myexp:\n  spread: {ns: [4, 16, 64], trials: 8}\n")
    schema_path = work / "workflow/schemas/config.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text())
    schema["properties"]["experiments"]["items"]["enum"].append("myexp")
    schema["properties"]["notebooks"]["items"]["enum"].append("myexp_reading")
    schema["properties"]["myexp"] = {
        "description": "a new experiment",
        "type": "object",
        "properties": {"spread": {"type": "object"}},
    }
    schema_path.write_text(yaml.safe_dump(schema, sort_keys=False))


def test_a_new_experiment_is_a_package_a_rules_file_a_section_and_a_notebook(tmp_path):
    work = copy_of_repo(tmp_path / "repo")
    add_experiment(work)
    # Its measurement, its figure and its notebook run through the generic rules.
    snakemake(work, "figures/myexp_spread.pdf", "data/notebooks/myexp_reading.html")
    assert (work / "data/results/myexp/spread.parquet").exists()
    assert (work / "figures/myexp_spread.pdf").stat().st_size > 0
    assert "sparsemax" in (work / "data/notebooks/myexp_reading.html").read_text()  # its output
    # The note reads them: its section, its figure, and its notebook in the default target.
    plan = snakemake(work, "-n", "--forceall")
    compile_note = re.search(r"^rule compile_note:\n((?:    .*\n)+)", plan, flags=re.M).group(1)
    assert "figures/myexp_spread.pdf" in compile_note
    assert "paper/sections/myexp.tex" in compile_note
    assert "data/notebooks/myexp_reading.html" in plan
    assert "rule measure_row_spread:" in plan
