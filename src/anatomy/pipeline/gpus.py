"""One GPU per job on a machine with several: Snakemake limits how many GPU jobs run at once
(``resources: gpu=1`` against ``--resources gpu=N``) but does not say which device each job
gets, and does not set ``CUDA_VISIBLE_DEVICES``. A job that wants a GPU claims the first free
one through an exclusive lock file and holds it until the process ends.

A scheduler that already chose (Slurm's ``--gpus`` sets ``CUDA_VISIBLE_DEVICES``) is left
alone, and a machine without GPUs gets nothing: the job runs on the CPU.

Small models leave a big GPU mostly idle (each step is bound by kernel launches), so several
jobs may share one device: ``ANATOMY_JOBS_PER_GPU=k`` gives each GPU k slots (with
``--resources gpu=k*N``; ``python -m anatomy.pipeline.gpu_run`` sets both).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

_held: list = []  # open lock files of this process: a claim lasts as long as the process


def visible_gpus() -> int:
    """GPUs on this machine (``nvidia-smi -L``), without initializing CUDA."""
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        out = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(line.startswith("GPU ") for line in out.splitlines())


def default_lock_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"anatomy-gpu-locks-{os.getuid()}"


JOBS_PER_GPU = "ANATOMY_JOBS_PER_GPU"


def jobs_per_gpu() -> int:
    """Slots per GPU (``ANATOMY_JOBS_PER_GPU``, default 1)."""
    value = os.environ.get(JOBS_PER_GPU, "1")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{JOBS_PER_GPU} must be a whole number >= 1, got {value!r}")
    return int(value)


def claim_gpu(
    count: int | None = None,
    lock_dir: str | Path | None = None,
    wait_s: float = 0.0,
    slots: int | None = None,
) -> int | None:
    """Claim the first free slot of ``count`` GPUs (default: those ``nvidia-smi`` lists),
    ``slots`` per GPU (default :func:`jobs_per_gpu`), one job on every GPU before a second; set
    ``CUDA_VISIBLE_DEVICES`` to its GPU and return the GPU's index; ``None`` when there is
    none, or when ``CUDA_VISIBLE_DEVICES`` was already set by someone else (then nothing
    changes). Waits up to ``wait_s`` seconds for a slot to come free."""
    if os.environ.get("CUDA_VISIBLE_DEVICES") not in (None, ""):
        return None
    count = visible_gpus() if count is None else count
    slots = jobs_per_gpu() if slots is None else slots
    if count == 0:
        return None
    folder = Path(lock_dir) if lock_dir is not None else default_lock_dir()
    folder.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        for index, slot in ((i, k) for k in range(slots) for i in range(count)):
            name = f"gpu{index}.lock" if slot == 0 else f"gpu{index}.{slot}.lock"
            handle = open(folder / name, "w")  # noqa: SIM115 (held on purpose)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            _held.append(handle)
            os.environ["CUDA_VISIBLE_DEVICES"] = str(index)
            return index
        if time.monotonic() >= deadline:
            raise RuntimeError(
                f"all {count} GPUs ({slots} jobs each) are held by other jobs (locks in "
                f"{folder}); run Snakemake with --resources gpu={count * slots} so that it "
                f"never starts more GPU jobs than that"
            )
        time.sleep(1.0)


def release_all() -> None:
    """Give back every GPU this process holds (tests; a process gives them back on exit)."""
    while _held:
        handle = _held.pop()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
    os.environ.pop("CUDA_VISIBLE_DEVICES", None)
