"""Run the gpu profile's compute rules on this machine's GPU within a time budget, and show
that CUDA did the work.

Usage: ``python -m anatomy.pipeline.gpu_run [--budget-s 540] [--jobs-per-gpu 1] [--out gpu-run]
[-- extra snakemake arguments]``.

The compute rules are every rule but those that present (``PRESENTATION_PREFIXES``: figures,
tables, macros, notebooks, the note): the data, models and measurements the figures and tables
read. Snakemake runs the default target with those rules omitted (``--omit-from``; no TeX is
needed), ``--workflow-profile profiles/gpu``, ``--keep-going`` and ``--jobs-per-gpu`` jobs
sharing each GPU (``anatomy.pipeline.gpus``). The run fails loudly, with a non-zero exit, when

- PyTorch sees no CUDA device (before anything runs);
- a job that asked for a GPU (``resources: gpu``) logged ``device=cpu``, or no job used CUDA;
- a job failed, or the budget ran out (Snakemake is interrupted; finished jobs are kept).

It writes to ``--out``: ``summary.json`` (device, versions, wall time, jobs, the checks),
``benchmarks.tsv`` (one row per job), ``benchmark_sums.txt`` (per rule, as
``python -m anatomy.pipeline.benchmarks`` prints them), ``devices.tsv`` (each job's logged device),
``nvidia-smi.csv`` (the GPU's load and memory every 5 s) and ``snakemake.log``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from anatomy.pipeline.benchmarks import collect, summarize

PRESENTATION_RULES = ("figure", "table")  # the generic rules of figures_and_tables.smk
PRESENTATION_PREFIXES = (
    "tabulate_",
    "write_",
    "execute_notebook",
    "compile_note",
    "archive_note",
)
START_LINE = re.compile(r"rule (\S+): start; device=(\S+) gpu=(\d+) threads=(\d+)")
PROFILE = "profiles/gpu"


class GpuRunError(SystemExit):
    """A check failed: exits non-zero with the reason."""


def presentation_rules(rule_names: list[str]) -> list[str]:
    """The rules that present (figures, tables, macros, notebooks, the note), in the given
    order: the run omits them and all that follows them."""
    return [
        name
        for name in rule_names
        if name in PRESENTATION_RULES or name.startswith(PRESENTATION_PREFIXES)
    ]


def logged_devices(log_dir: str | Path, since: float = 0.0) -> pd.DataFrame:
    """One row per job log written at or after ``since`` (a ``time.time()``): its rule, the
    device it ran on, the GPUs it asked for and its threads, from the start line every
    pipeline script writes (``anatomy.pipeline.runtime.snakemake_job``)."""
    rows = []
    for path in sorted(Path(log_dir).rglob("*.log")):
        if path.stat().st_mtime < since:
            continue
        match = START_LINE.search(path.read_text(errors="replace"))
        if match:
            rule, device, gpu, threads = match.groups()
            rows.append(
                {
                    "log": str(path),
                    "rule": rule,
                    "device": device,
                    "gpu": int(gpu),
                    "threads": int(threads),
                }
            )
    return pd.DataFrame(rows, columns=["log", "rule", "device", "gpu", "threads"])


def cuda_problems(devices: pd.DataFrame) -> list[str]:
    """Why the run did not use CUDA as it should; empty when it did."""
    problems = []
    if not (devices.device == "cuda").any():
        problems.append("no job ran on CUDA")
    on_cpu = devices[(devices.gpu > 0) & (devices.device != "cuda")]
    problems += [
        f"{row.rule} asked for a GPU and ran on {row.device} ({row.log})"
        for row in on_cpu.itertuples()
    ]
    return problems


def require_cuda() -> dict:
    """The CUDA device PyTorch sees, or a loud exit before anything runs."""
    import torch

    if not torch.cuda.is_available():
        raise GpuRunError(
            "gpu_run: PyTorch sees no CUDA device (torch "
            f"{torch.__version__}, built for CUDA {torch.version.cuda}); the gpu profile's "
            "compute rules would run on the CPU. Run this on a machine with a GPU."
        )
    return {
        "gpu": torch.cuda.get_device_name(0),
        "gpus": torch.cuda.device_count(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
    }


def list_rules(snakemake: list[str]) -> list[str]:
    out = subprocess.run(
        [*snakemake, "--workflow-profile", PROFILE, "--list-rules"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def run_snakemake(command: list[str], env: dict, log: Path, budget_s: float) -> tuple[int, bool]:
    """Run ``command`` (its own process group) up to ``budget_s``; on overrun interrupt it
    as Ctrl-C would (Snakemake stops its jobs), then kill what is left. (returncode, timed out)"""
    with open(log, "w") as handle:
        process = subprocess.Popen(
            command, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            return process.wait(timeout=budget_s), False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            return process.returncode, True


def sample_gpu(path: Path) -> subprocess.Popen | None:
    """``nvidia-smi`` writing the GPU's load and memory every 5 s, while the run lasts."""
    if shutil.which("nvidia-smi") is None:
        return None
    query = "timestamp,utilization.gpu,memory.used,power.draw"
    return subprocess.Popen(
        ["nvidia-smi", f"--query-gpu={query}", "--format=csv", "-l", "5"],
        stdout=open(path, "w"),  # noqa: SIM115 (closed with the process)
        stderr=subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=540.0)
    # One: on an H200, five diffusion jobs sharing the GPU made 10.5 steps/s in all, one alone
    # 15.4 (README, "A GPU"). The jobs that ask for no GPU (the zoo, Layer A) share it anyway.
    parser.add_argument("--jobs-per-gpu", type=int, default=1)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default="gpu-run")
    parser.add_argument("extra", nargs="*", help="more snakemake arguments (after --)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = {"budget_s": args.budget_s, "jobs_per_gpu": args.jobs_per_gpu}
    summary.update(require_cuda())
    gpus = summary["gpus"]
    snakemake = [sys.executable, "-m", "snakemake"]
    env = dict(os.environ, ANATOMY_JOBS_PER_GPU=str(args.jobs_per_gpu))
    src = str(Path(__file__).resolve().parents[2])  # the folder that holds anatomy/
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    omitted = presentation_rules(list_rules(snakemake))
    command = [
        *snakemake,
        "--workflow-profile",
        PROFILE,
        "--cores",
        str(args.cores),
        "--resources",
        f"gpu={gpus * args.jobs_per_gpu}",
        "--keep-going",
        "--omit-from",
        *omitted,
        *args.extra,
    ]
    summary["command"] = " ".join(command[2:])
    print(f"gpu_run: {summary['gpu']} x{gpus}, torch {summary['torch']}; {summary['command']}")
    started = time.time()
    sampler = sample_gpu(out / "nvidia-smi.csv")
    try:
        code, timed_out = run_snakemake(command, env, out / "snakemake.log", args.budget_s)
    finally:
        if sampler is not None:
            sampler.terminate()
    summary.update(wall_s=round(time.time() - started, 1), returncode=code, timed_out=timed_out)
    devices = logged_devices("data/logs", since=started)
    devices.to_csv(out / "devices.tsv", sep="\t", index=False)
    jobs = collect("data/benchmarks")
    jobs.to_csv(out / "benchmarks.tsv", sep="\t", index=False)
    sums = summarize(jobs, args.cores) if len(jobs) else pd.DataFrame()
    (out / "benchmark_sums.txt").write_text(sums.round(1).to_string() + "\n")
    problems = cuda_problems(devices)
    if timed_out:
        problems.append(f"the budget of {args.budget_s:.0f} s ran out (finished jobs are kept)")
    elif code != 0:
        problems.append(f"snakemake exited with {code} (failed jobs: {out / 'snakemake.log'})")
    summary.update(
        jobs_logged=len(devices),
        jobs_on_cuda=int((devices.device == "cuda").sum()),
        problems=problems,
    )
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(sums.round(1).to_string())
    print(json.dumps(summary, indent=2))
    if problems:
        raise GpuRunError("gpu_run: " + "; ".join(problems))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
