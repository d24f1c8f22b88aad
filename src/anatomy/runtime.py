"""Run hygiene shared by every pipeline script: threads, device, logging, metadata.

Each Snakemake job gets exactly the threads its rule declares; on two cores an
oversubscribed torch job was measured about 80x slower on small ops, so nothing here lets
torch pick its own thread count.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("anatomy")


def set_threads(threads: int) -> None:
    """Pin torch (intra- and inter-op) and the BLAS libraries to ``threads``."""
    import torch

    threads = max(1, int(threads))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # only settable before the first parallel op; keep the first value
        pass


def select_device(allow_cuda: bool) -> str:
    """The one place that chooses the device: CUDA when present and allowed, else CPU."""
    import torch

    if allow_cuda and torch.cuda.is_available():
        return "cuda"
    return "cpu"


def config_hash(settings: Any) -> str:
    """Short, stable hash of an experiment's settings (key order does not matter)."""
    blob = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def git_commit(cwd: str | Path = ".") -> str:
    """HEAD's commit, with ``-dirty`` when tracked files differ from it; ``unknown`` outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


@dataclass
class RunContext:
    """What a script knows about its run; :meth:`metadata` is written beside each result."""

    profile: str
    seed: int
    threads: int
    device: str
    settings: dict = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def metadata(self, **extra: Any) -> dict:
        import torch

        return {
            "profile": self.profile,
            "config_hash": config_hash(self.settings),
            "seed": self.seed,
            "git_commit": git_commit(),
            "device": self.device,
            "threads": self.threads,
            "wall_time_s": round(time.perf_counter() - self.started, 3),
            "torch": str(torch.__version__),
            "python": platform.python_version(),
            "settings": self.settings,
            **extra,
        }

    def write_metadata(self, path: str | Path, **extra: Any) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.metadata(**extra), indent=2, sort_keys=True) + "\n")


def setup_logging(log_path: str | Path | None) -> None:
    """Log to the rule's log file (and stderr when there is none)."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers = [logging.FileHandler(log_path, mode="w")]
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


@contextmanager
def snakemake_job(smk):
    """Set up a Snakemake ``script:`` job and yield its :class:`RunContext`.

    Expects ``params.run`` as made by ``run_params`` in ``workflow/rules/common.smk``:
    profile, seed, allow_cuda and the experiment's settings (params, so that Snakemake
    reruns the job when any of them changes).
    """
    setup_logging(smk.log[0] if len(smk.log) else None)
    set_threads(smk.threads)
    run = smk.params.run
    resources = getattr(smk, "resources", None) or {}
    if run["allow_cuda"] and int(resources.get("gpu", 0)) > 0:
        # Before torch touches CUDA: this job's own device among several (anatomy.gpus).
        from anatomy.gpus import claim_gpu

        claimed = claim_gpu(wait_s=600)
        if claimed is not None:
            log.info("claimed GPU %d (CUDA_VISIBLE_DEVICES)", claimed)
    ctx = RunContext(
        profile=run["profile"],
        seed=int(run["seed"]),
        threads=int(smk.threads),
        device=select_device(bool(run["allow_cuda"])),
        settings=dict(run["settings"]),
    )
    log.info(
        "rule %s: device=%s threads=%d profile=%s", smk.rule, ctx.device, ctx.threads, ctx.profile
    )
    try:
        yield ctx
    except Exception:
        log.exception("rule %s failed", smk.rule)
        raise
    log.info("rule %s done in %.2f s", smk.rule, time.perf_counter() - ctx.started)
