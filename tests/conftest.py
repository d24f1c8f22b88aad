"""Shared fixtures: the repository root and the pipeline's config schema."""

import subprocess
from modulefinder import ModuleFinder
from pathlib import Path

import pytest

from anatomy.pipeline.config import load_profile, load_schema  # noqa: F401 (load_profile: for the tests)

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ["smoke", "default", "gpu"]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def schema() -> dict:
    return load_schema(ROOT / "workflow/schemas/config.schema.yaml")


def tracked_files(root: Path) -> list[str]:
    """The repository's source files (tracked, or new and not ignored): what a clean clone has."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [f for f in out.splitlines() if (root / f).is_file()]


def module_name(file: str | Path, root: Path = ROOT) -> str:
    """A library file as its module, dotted and relative to the package: ``core.operators``;
    a subpackage's ``__init__.py`` is the subpackage (``core``), the package's own is ``""``."""
    relative = Path(file).resolve().relative_to((root / "src/anatomy").resolve())
    return ".".join(relative.with_suffix("").parts).removesuffix("__init__").rstrip(".")


def library_modules(files, root: Path = ROOT) -> set[str]:
    """The modules of a rule's library files (the package's own ``__init__`` left out)."""
    return {module_name(root / f, root) for f in files} - {""}


def found_by_modulefinder(path: Path, root: Path = ROOT) -> set[str]:
    """``anatomy`` modules and subpackages that running ``path`` loads, by Python's own
    modulefinder (it scans the compiled code, nested functions included): an independent
    reading of the imports."""
    finder = ModuleFinder(path=[str(root / "src")], excludes=["torch", "timm", "diffusers"])
    finder.run_script(str(path))
    return {
        module_name(module.__file__, root)
        for name, module in finder.modules.items()
        if name.startswith("anatomy.") and module.__file__
    }


# The sections whose measurements build their own inputs: one rule measure_<name> each, named as
# the measurement (measurement_rules.smk; the ViT's and the diffusion model's rules run several).
MEASURED_SECTIONS = ("softmax_constraints", "expressivity", "equivalent_forms", "zoo")


def section_measurements() -> dict:
    """Every measurement the generic rule runs: name -> (its experiment, its function)."""
    import importlib

    found = {}
    for experiment in MEASURED_SECTIONS:
        registry = importlib.import_module(f"anatomy.{experiment}.measurements")
        found |= {name: (experiment, f) for name, f in registry.MEASUREMENTS.items()}
    return found


def measurement_source(experiment: str, function, root: Path = ROOT) -> str:
    """A measurement as a script of its own: its measurements module's top-level imports and
    the function's source (what its generic rule runs, read without the pipeline)."""
    import ast
    import inspect
    import textwrap

    module = root / "src/anatomy" / experiment / "measurements.py"
    tree = ast.parse(module.read_text())
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    header = ast.unparse(ast.Module(body=imports, type_ignores=[]))
    return header + "\n" + textwrap.dedent(inspect.getsource(function))


def copy_of_repo(dest: Path, root: Path = ROOT) -> Path:
    """The repository's source files copied to ``dest``: a clean clone, uncommitted edits in."""
    import shutil

    for name in tracked_files(root):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, dest / name)
    return dest
