"""Running beyond one machine: the conda environments and the Slurm profile plan the whole DAG
(dry runs), and the environments list what the package needs."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import tracked_files

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ["--configfile", "config/smoke.yaml"]
README = ROOT / "README.md"
# What only the machine that drives Snakemake needs, not the jobs.
DRIVER_ONLY = {"snakemake-executor-plugin-slurm"}


def name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def pip_entries(env: dict) -> list[str]:
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)


def test_pipeline_env_lists_what_the_package_needs_with_the_makefile_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {name(r) for r in project["dependencies"]} - DRIVER_ONLY
    env = yaml.safe_load((ROOT / "envs/pipeline.yaml").read_text())
    listed = {name(r) for r in pip_entries(env)}
    assert listed == needed
    pins = re.search(r"TORCH_PINS \?= (.+)", (ROOT / "Makefile").read_text()).group(1).split()
    assert set(pins) <= set(pip_entries(env))


def test_every_executed_rule_names_an_environment_that_exists():
    text = "\n".join(p.read_text() for p in sorted((ROOT / "workflow/rules").glob("*.smk")))
    assert text.count("script:") == text.count("conda:")
    for env in ("pipeline", "latex"):
        parsed = yaml.safe_load((ROOT / f"envs/{env}.yaml").read_text())
        assert "python=3.11" in parsed["dependencies"]
        assert any(name(r) == "snakemake" for r in pip_entries(parsed))


def fake_conda(folder: Path) -> Path:
    """Planning with --sdm conda asks conda for its version, info and channel priority, and
    nothing else; this stands in for an installed conda on a machine that has none."""
    script = folder / "conda"
    script.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        '  --version) echo "conda 24.11.3";;\n'
        '  info) echo \'{"conda_version": "24.11.3", "envs_dirs": [], "pkgs_dirs": [],'
        ' "root_prefix": "/opt/conda", "conda_prefix": "/opt/conda", "platform": "linux-64"}\';;\n'
        '  config) echo \'{"get": {"channel_priority": "strict"}}\';;\n'
        "  *) echo 'only planning is supported' >&2; exit 1;;\n"
        "esac\n"
    )
    script.chmod(0o755)
    return folder


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """The repository's tracked files alone: plans do not depend on what was built here."""
    copy = tmp_path_factory.mktemp("source")
    for f in tracked_files(ROOT):
        (copy / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, copy / f)
    return copy


def plan(where: Path, *args: str, path: str | None = None) -> str:
    env = dict(os.environ)
    if path:
        env["PATH"] = path + os.pathsep + env["PATH"]
    cmd = [sys.executable, "-m", "snakemake", "-n", "--quiet", "rules"]
    result = subprocess.run(
        cmd + list(args) + SMOKE, cwd=where, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout + result.stderr


WHOLE_DAG = {"train_vit", "train_diffusion_base", "train_zoo_model", "compile_note", "archive_note"}


@pytest.mark.slow
def test_conda_deployment_plans_the_whole_dag(source, tmp_path):
    out = plan(source, "--sdm", "conda", "--cores", "2", path=str(fake_conda(tmp_path)))
    assert WHOLE_DAG <= set(re.findall(r"^(\w+)\s+\d+$", out, flags=re.M)), out[-2000:]


@pytest.mark.slow
def test_slurm_profile_plans_the_whole_dag(source, monkeypatch):
    monkeypatch.setenv("SLURM_ACCOUNT", "lab42")
    out = plan(source, "--workflow-profile", "profiles/slurm")
    assert WHOLE_DAG <= set(re.findall(r"^(\w+)\s+\d+$", out, flags=re.M)), out[-2000:]


@pytest.mark.slow
def test_the_readmes_slurm_command_keeps_every_jobs_runtime_and_the_account(source, monkeypatch):
    # A command-line --default-resources would replace the profile's block: every job must
    # still carry a runtime (minutes), and the account from the environment.
    monkeypatch.setenv("SLURM_ACCOUNT", "lab42")
    command = re.search(r"SLURM_ACCOUNT=<account> snakemake (.+)", README.read_text()).group(1)
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", *command.split(), *SMOKE],
        cwd=source,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    jobs = re.findall(r"^\s+resources: (.+)$", result.stdout + result.stderr, flags=re.M)
    assert len(jobs) > 50
    for resources in jobs:
        assert re.search(r"\bruntime=\d+", resources), resources
        assert "slurm_account=lab42" in resources, resources
