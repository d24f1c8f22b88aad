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
    """Pin torch (intra- and inter-op) and the BLAS libraries to ``threads``.

    The environment variables reach a torch imported later; a torch already imported is set
    directly. A job that never uses torch does not pay for importing it here.
    """
    threads = max(1, int(threads))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    torch = sys.modules.get("torch")
    if torch is None:
        return
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # only settable before the first parallel op; keep the first value
        pass


def seed_of(path: str | Path) -> int:
    """The training seed a file name states (``.../seed2.pt``, ``.../seed2/``): every
    experiment names one file or folder per seed this way."""
    import re

    found = re.findall(r"seed(\d+)", str(path))
    if not found:
        raise ValueError(f"{path}: no seed<N> in the name")
    return int(found[-1])


def grouped(paths, key) -> dict:
    """``paths`` grouped by ``key(path)``, groups in the order their key first appears, paths
    in the given order."""
    groups: dict = {}
    for path in paths:
        groups.setdefault(key(path), []).append(str(path))
    return groups


def by_seed(paths) -> dict[int, list[str]]:
    """``paths`` grouped by :func:`seed_of`, seeds in increasing order, paths in given order."""
    return dict(sorted(grouped(paths, seed_of).items()))


def select_device(allow_cuda: bool) -> str:
    """The one place that chooses the device: CUDA when present and allowed, else CPU."""
    import torch

    if allow_cuda and torch.cuda.is_available():
        return "cuda"
    return "cpu"


def config_hash(settings: Any) -> str:
    """Short, stable hash of an experiment's settings (key order does not matter) and, when
    operator plugins are loaded (``ANATOMY_OPERATOR_PLUGINS``), of their source files: a
    plugin's code is part of what a result was made with."""
    plugins = plugin_hashes()
    if plugins:
        settings = {"settings": settings, "operator_plugins": plugins}
    blob = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def plugin_hashes() -> dict[str, str]:
    """``{plugin file: sha256 prefix}`` of the operator plugins named in the environment."""
    from anatomy.pipeline.dependencies import plugin_files

    return {
        Path(f).name: hashlib.sha256(Path(f).read_bytes()).hexdigest()[:12] for f in plugin_files()
    }


# What the figures, tables and numbers are made from: an uncommitted edit here makes them
# ``-dirty``; an edit of the prose (paper/), the docs or the tests does not.
CODE_PATHS = ("src", "workflow", "config", "profiles", "envs", "Snakefile", "pyproject.toml")


def git_commit(cwd: str | Path = ".", paths: tuple[str, ...] | None = None) -> str:
    """HEAD's commit, with ``-dirty`` when tracked files (only those under ``paths``, when
    given) differ from it; ``unknown`` outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", *(paths or ())],
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
            "operator_plugins": plugin_hashes(),
            **extra,
        }

    def write_metadata(self, path: str | Path, **extra: Any) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.metadata(**extra), indent=2, sort_keys=True) + "\n")


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_path: str | Path | None) -> None:
    """Log to the rule's log file (and stderr when there is none).

    The log file has one writer, this handler: training progress, the start and end lines and
    a failure's traceback all go through ``logging``, so none overwrites another. Progress
    lines (``anatomy.progress``) also reach the terminal.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers = [logging.FileHandler(log_path, mode="w")]
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, handlers=handlers, force=True)
    progress = logging.getLogger("anatomy.progress")
    progress.handlers = []
    if log_path:
        terminal = logging.StreamHandler(sys.stderr)
        terminal.setFormatter(logging.Formatter("%(message)s"))
        progress.handlers = [terminal]


class JobFailed(SystemExit):
    """Raised by :func:`snakemake_job` after logging a failure: exits non-zero with one line."""


def one_line(error: BaseException) -> str:
    """An exception as the single line a user reads on the terminal."""
    text = " ".join(str(error).split()) or type(error).__name__
    known = (
        "ConfigError",
        "LatexError",
        "NotebookError",
        "NonFiniteTraining",
        "UnreadableFile",
        "PretrainedModelMissing",
    )
    return text if type(error).__name__ in known else f"{type(error).__name__}: {text}"


@contextmanager
def snakemake_job(smk):
    """The one wrapper every pipeline script runs in; yields its :class:`RunContext`.

    It opens the rule's log with a start line (rule, device, threads, profile), pins the
    threads, and ends with the wall time, or, on failure, with the traceback in the log and
    one line on the terminal naming the rule, the cause and the log. When an input file
    cannot be read (truncated, corrupt), that line names the file and the command that
    regenerates it instead.

    ``params.run`` (made by ``run_params`` in ``workflow/rules/common.smk``: profile, seed,
    allow_cuda and the experiment's settings) is optional: figure and table scripts have none.
    """
    log_path = smk.log[0] if len(smk.log) else None
    setup_logging(log_path)
    set_threads(smk.threads)
    run = getattr(smk.params, "run", None) or {}
    resources = getattr(smk, "resources", None) or {}
    if run.get("allow_cuda") and int(resources.get("gpu", 0)) > 0:
        # Before torch touches CUDA: this job's own device among several (anatomy.pipeline.gpus).
        from anatomy.pipeline.gpus import claim_gpu

        claimed = claim_gpu(wait_s=600)
        if claimed is not None:
            log.info("claimed GPU %d (CUDA_VISIBLE_DEVICES)", claimed)
    ctx = RunContext(
        profile=run.get("profile", "-"),
        seed=int(run.get("seed", 0)),
        threads=int(smk.threads),
        device=select_device(True) if run.get("allow_cuda") else "cpu",
        settings=dict(run.get("settings", {})),
    )
    log.info(
        "rule %s: start; device=%s gpu=%d threads=%d profile=%s",
        smk.rule,
        ctx.device,
        int(resources.get("gpu", 0)),
        ctx.threads,
        ctx.profile,
    )
    try:
        yield ctx
    except Exception as error:
        log.exception("rule %s failed", smk.rule)
        from anatomy.core.artifacts import first_unreadable

        unreadable = first_unreadable(list(smk.input))
        message = str(unreadable) if unreadable else one_line(error)
        where = f" (log: {log_path})" if log_path else ""
        if unreadable:
            log.error("%s", message)
        raise JobFailed(f"rule {smk.rule}: {message}{where}") from None
    log.info("rule %s: done in %.2f s", smk.rule, time.perf_counter() - ctx.started)
