"""Mutation tests: small, realistic bugs planted in a copy of ``src/``, each of which the unit
tests must catch. A mutant that survives means a test checks a range or a symmetric case
where it should check a value. Grow this list with every new module.

Run alone with ``make mutants`` (or ``pytest -m slow tests/test_mutants.py``).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (name, file under src/anatomy, original text, mutated text, the tests that must catch it)
MUTANTS = [
    (
        "mean attention distance pooled over heads",
        "vit/maps.py",
        "return (a * dist).sum(-1).mean((0, 2))",
        "return (a * dist).sum(-1).mean((0, 1, 2)).expand(a.shape[1])",
        ["tests/test_vit_analysis.py"],
    ),
    (
        "attention rollout multiplied in reverse order",
        "vit/maps.py",
        "out = a if out is None else a @ out",
        "out = a if out is None else out @ a",
        ["tests/test_vit_analysis.py"],
    ),
    (
        "L2 kernel without its 1/sqrt(d)",
        "core/operators.py",
        "return -sq / math.sqrt(q.shape[-1])",
        "return -sq",
        ["tests/test_operators.py"],
    ),
    (
        "zoo sensitivity without its factor n",
        "zoo/runs.py",
        "return float(n * tv.mean())",
        "return float(tv.mean())",
        ["tests/test_zoo.py"],
    ),
    (
        "zoo differences from softmax not paired by seed",
        "zoo/summary.py",
        "paired_difference(own[seeds].tolist(), ref[seeds].tolist())",
        "paired_difference(own[seeds].tolist(), ref[seeds].tolist()[::-1])",
        ["tests/test_zoo.py"],
    ),
    (
        "zoo sampling half-width of the narrowest operator, not the widest",
        "zoo/summary.py",
        "    return max(halves)",
        "    return min(halves)",
        ["tests/test_zoo.py"],
    ),
    (
        "training without the finite-loss guard",
        "core/training.py",
        "check_loss(value, step, guard if seed is None else guard.for_seed(seed))",
        "pass",
        ["tests/test_zoo.py", "tests/test_training.py"],
    ),
    (
        "checkpoints saved without the finite-weights check",
        "core/training.py",
        "    if bad:\n        raise NonFiniteTraining(",
        "    if False:\n        raise NonFiniteTraining(",
        ["tests/test_zoo.py"],
    ),
    (
        "dependencies blind to imports inside functions",
        "pipeline/dependencies.py",
        "for node in ast.walk(tree):",
        "for node in getattr(tree, 'body', []):",
        ["tests/test_dependencies.py"],
    ),
    (
        "a truncated parquet file taken as readable",
        "core/artifacts.py",
        "pq.read_metadata(path)",
        "pass",
        ["tests/test_artifacts.py"],
    ),
    (
        "softmax sharpness closed form off by one distractor",
        "softmax_constraints/measures.py",
        "return math.exp(gap) / (math.exp(gap) + n - 1)",
        "return math.exp(gap) / (math.exp(gap) + n)",
        ["tests/test_softmax_constraints.py"],
    ),
    (
        "an unbalanced brace at the end of a section not reported",
        "report/latex.py",
        "    if opened:\n",
        "    if False:\n",
        ["tests/test_latex.py"],
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, file, original, mutated, tests", MUTANTS, ids=[m[0] for m in MUTANTS]
)
def test_the_unit_tests_kill_the_mutant(tmp_path, name, file, original, mutated, tests):
    shutil.copytree(ROOT / "src", tmp_path / "src")
    target = tmp_path / "src/anatomy" / file
    text = target.read_text()
    assert original in text, f"{file} no longer contains {original!r}: update the mutant"
    target.write_text(text.replace(original, mutated, 1))
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "src"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    imported = subprocess.run(
        [sys.executable, "-c", "import anatomy; print(anatomy.__file__)"],
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    assert imported.startswith(str(tmp_path)), f"the tests would not see the mutant: {imported}"
    assert result.returncode == 1, f"the mutant '{name}' survived:\n{result.stdout[-1500:]}"
