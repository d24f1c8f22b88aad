"""Shared fixtures: the repository root and the pipeline's config schema."""

import subprocess
from pathlib import Path

import pytest
import yaml

from anatomy.config import load_schema

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ["smoke", "default", "gpu"]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def schema() -> dict:
    return load_schema(ROOT / "workflow/schemas/config.schema.yaml")


def load_profile(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / f"{name}.yaml").read_text())


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
