"""A rule's library inputs are what its script imports: checked here against Python's own
``modulefinder``, an independent reading of the same imports (it scans the compiled code,
nested functions included), for every script, notebook and measurement of the pipeline."""

import os
from pathlib import Path

import pytest
from conftest import (
    MEASURED_SECTIONS,
    found_by_modulefinder,
    library_modules,
    measurement_source,
    section_measurements,
)

from anatomy.pipeline import dependencies

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src/anatomy"
SCRIPTS = sorted((ROOT / "workflow/scripts").glob("*.py"))
NOTEBOOKS = sorted((ROOT / "workflow/notebooks").glob("*.py"))


def as_modules(files: list[str]) -> set[str]:
    return library_modules(files)


@pytest.mark.parametrize(
    "script",
    [s for s in SCRIPTS if s.name != "run_measurement.py"] + NOTEBOOKS,
    ids=lambda p: p.name,
)
def test_a_scripts_library_is_what_it_imports(script):
    derived = as_modules(dependencies.script_library(script, PACKAGE))
    assert derived == found_by_modulefinder(script)


@pytest.mark.parametrize("name", sorted(section_measurements()))
def test_a_measurements_library_is_what_its_function_imports(name, tmp_path):
    # The function's own source, with the registry module's top-level imports, as a script.
    experiment, function = section_measurements()[name]
    script = tmp_path / f"{name}.py"
    script.write_text(measurement_source(experiment, function))
    registry = f"{experiment}.measurements"
    expected = found_by_modulefinder(script) | {experiment, registry}
    derived = as_modules(dependencies.function_library(registry, name, PACKAGE))
    assert derived == expected
    whole_registry = as_modules(
        dependencies.script_library(PACKAGE / experiment / "measurements.py", PACKAGE)
    )
    assert derived - {registry} <= whole_registry | {experiment}


def test_a_measurement_does_not_depend_on_its_neighbours():
    """The registry's other measurements are not dependencies of this one: the equivalence
    checks rerun when message passing changes, not when the speed benchmark does."""
    registry = PACKAGE / "equivalent_forms/measurements.py"
    whole = as_modules(dependencies.script_library(registry, PACKAGE))
    one = dependencies.function_library("equivalent_forms.measurements", "equivalences", PACKAGE)
    assert "equivalent_forms.speed" in whole and "equivalent_forms.speed" not in as_modules(one)


def test_imports_inside_functions_count(tmp_path):
    script = tmp_path / "lazy.py"
    script.write_text("def main():\n    from anatomy.expressivity import hopfield\n    return 0\n")
    assert as_modules(dependencies.script_library(script, PACKAGE)) == {
        "expressivity",
        "expressivity.hopfield",
        "core",
        "core.operators",
        "core.random_features",
    }


def test_operator_plugins_are_inputs_of_rules_that_use_the_registry(tmp_path, monkeypatch):
    plugin = tmp_path / "my_operator.py"
    plugin.write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    environ = dict(os.environ, ANATOMY_OPERATOR_PLUGINS="my_operator")
    uses = dependencies.with_plugins(["src/anatomy/core/operators.py"], environ)
    assert uses == ["src/anatomy/core/operators.py", str(plugin)]
    assert dependencies.with_plugins(["src/anatomy/report/latex.py"], environ) == [
        "src/anatomy/report/latex.py"
    ]
    with pytest.raises(ModuleNotFoundError, match="ANATOMY_OPERATOR_PLUGINS names 'absent'"):
        dependencies.plugin_files({"ANATOMY_OPERATOR_PLUGINS": "absent"})


@pytest.mark.parametrize(
    "script",
    [s for s in SCRIPTS if s.name.startswith(("measure_", "train_", "evaluate_", "compare_"))]
    + [PACKAGE / section / "measurements.py" for section in MEASURED_SECTIONS],
    ids=lambda p: p.name,
)
def test_typesetting_never_reruns_a_measurement(script):
    """A measurement or training script formats numbers (``anatomy.core.formatting``) but never
    depends on the note's typesetting (``anatomy.report.latex``: tables, the PDF build), so an edit
    there reruns tables and the PDF, not a model."""
    assert "report.latex" not in as_modules(dependencies.script_library(script, PACKAGE))
