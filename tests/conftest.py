"""Shared fixtures: the repository root and the pipeline's config schema."""

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
