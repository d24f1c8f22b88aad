"""Shared fixtures: the repository root and the pipeline's config schema."""

import subprocess
from modulefinder import ModuleFinder
from pathlib import Path

import pytest

from anatomy.config import load_profile, load_schema  # noqa: F401 (load_profile: for the tests)

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


def found_by_modulefinder(path: Path, root: Path = ROOT) -> set[str]:
    """``anatomy`` modules that running ``path`` loads, by Python's own modulefinder (it scans
    the compiled code, nested functions included): an independent reading of the imports."""
    finder = ModuleFinder(path=[str(root / "src")], excludes=["torch", "timm", "diffusers"])
    finder.run_script(str(path))
    package = root / "src/anatomy"
    return {
        name.split(".", 1)[1]
        for name in finder.modules
        if name.startswith("anatomy.") and (package / f"{name.split('.', 1)[1]}.py").exists()
    }


def copy_of_repo(dest: Path, root: Path = ROOT) -> Path:
    """The repository's source files copied to ``dest``: a clean clone, uncommitted edits in."""
    import shutil

    for name in tracked_files(root):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, dest / name)
    return dest
