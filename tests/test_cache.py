"""The shared result cache, end to end on the smoke profile: two copies of the repository, one
cache folder (SNAKEMAKE_OUTPUT_CACHE), the training rules run with --cache. The second copy
takes every model from the cache and trains nothing; after an edit to code that one model
family imports, it retrains that family alone."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_of_repo

pytestmark = [pytest.mark.slow, pytest.mark.pipeline]

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ["train_zoo_model", "train_vit", "train_diffusion_base", "train_diffusion_variant"]


def train(work: Path, cache: Path) -> str:
    """Every training job of the smoke note, through the cache; Snakemake's output."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/smoke.yaml"]
    cmd += ["--cache", "--until", *TRAINING]
    env = dict(os.environ, SNAKEMAKE_OUTPUT_CACHE=str(cache))
    result = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def trained(work: Path) -> dict[str, int]:
    """Training jobs whose script ran, per rule: each writes its log; a model taken from the
    cache runs nothing and writes none."""
    logs = {
        "train_zoo_model": "train_zoo_model/*.log",
        "train_vit": "train_vit/*.log",
        "train_diffusion_base": "train_diffusion/base/*.log",
        "train_diffusion_variant": "train_diffusion/[!b]*/*.log",
    }
    logs_dir = work / "data/logs"
    found = {
        rule: sum("done in" in log.read_text() for log in logs_dir.glob(glob))
        for rule, glob in logs.items()
    }
    return {rule: n for rule, n in found.items() if n}


def test_a_second_copy_trains_only_what_its_edit_changed(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    first = copy_of_repo(tmp_path / "first")
    train(first, cache)
    jobs = trained(first)
    assert set(jobs) == set(TRAINING), jobs  # the first copy trains everything
    assert any(cache.iterdir())

    second = copy_of_repo(tmp_path / "second")
    output = train(second, cache)
    assert trained(second) == {}, output  # every model from the cache
    model = Path("data/models/vit/softmax_p8/seed0.pt")
    assert (second / model).is_symlink() and (second / model).resolve().parent == cache
    assert (second / model).read_bytes() == (first / model).read_bytes()
    # One entry per job: seeds, tasks and models of one rule never share one.
    seeds = [second / f"data/models/diffusion/base/seed{seed}" for seed in (0, 1)]
    assert seeds[0].resolve() != seeds[1].resolve()
    tasks = [second / f"data/models/zoo/{task}/softmax/seed0.pt" for task in ("copy", "parity")]
    assert tasks[0].resolve() != tasks[1].resolve()
    assert (second / "data/models/vit/softmax_p4/seed0.pt").resolve() != (second / model).resolve()

    # An edit to code the ViT's training imports: the ViTs retrain, nothing else does.
    vit_data = second / "src/anatomy/vit/data.py"
    vit_data.write_text(vit_data.read_text() + "\n# an edit\n")
    train(second, cache)
    assert trained(second) == {"train_vit": jobs["train_vit"]}
