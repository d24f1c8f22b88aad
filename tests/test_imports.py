"""Each job imports only the heavy libraries its work needs: a zoo job never pays for timm or
diffusers, a table or macro script never for matplotlib, a measurement runner only for what
its measurement uses. Measured in a fresh interpreter per script (its import lines only)."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["torch", "timm", "diffusers", "transformers", "torch_geometric", "matplotlib"]

# script -> the heavy libraries it may import (the others it must not)
ALLOWED = {
    "train_zoo_model.py": {"torch"},
    "evaluate_zoo_model.py": {"torch"},
    "run_measurement.py": set(),  # each measurement imports its own modules when it runs
    "collect_tables.py": set(),
    "fig_hopfield.py": {"matplotlib"},
    "tab_zoo.py": set(),
    "tab_zoo_baselines.py": set(),
    "tab_zoo_paired.py": set(),
    "tab_zoo_trained.py": set(),
    "macros_zoo.py": set(),
    "macros_vit.py": set(),  # the models by name (vit.specs), not the models
    "train_vit.py": {"torch", "timm"},
    "train_diffusion.py": {"torch", "diffusers", "transformers"},
}


def imported_heavy(script: Path) -> set[str]:
    tree = ast.parse(script.read_text())
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    code = ast.unparse(ast.Module(body=imports, type_ignores=[]))
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout
    return set(HEAVY) & set(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize("script", sorted(ALLOWED))
def test_a_script_imports_only_the_libraries_it_needs(script):
    assert imported_heavy(ROOT / "workflow/scripts" / script) <= ALLOWED[script]
