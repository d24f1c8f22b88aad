"""Sum Snakemake benchmark files per rule: how long each part of the DAG took.

Usage: ``python -m anatomy.pipeline.benchmarks [data/benchmarks] [--cores 2]``. Prints, per rule,
the number of jobs, the models they trained, their summed wall and CPU seconds, CPU seconds per
model, and the wall time the sum implies on ``--cores`` cores (jobs run side by side; a job that
kept k cores busy, by its mean load, counts k times its wall time). Then the Snakemake driver's own
CPU time in its last run (``driver.tsv``, written by the workflow's onsuccess handler) and its share
of all CPU time."""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import pandas as pd

# Rules that train several models per job: how to count the models a job trained, from the
# benchmark file's path under the rule's folder (a zoo task holds one checkpoint per operator
# and seed, a ViT one per seed; a diffusion job trains one model).
MODELS_PER_JOB = {
    "train_zoo_model": lambda tsv, models: len(
        list((models / "zoo" / tsv.stem).glob("*/seed*.pt"))
    ),
    "train_vit": lambda tsv, models: len(list((models / "vit" / tsv.stem).glob("seed*.pt"))),
}
TRAINING_RULES = ("train_zoo_model", "train_vit", "train_diffusion")


def collect(folder: str | Path, models: str | Path | None = None) -> pd.DataFrame:
    """One row per benchmark file: its rule (first folder or file stem), wall s, CPU s, the
    cores it kept busy (its mean load in percent, rounded to whole cores, at least 1) and, for
    training rules, the models it trained (``models``: the folder of trained models)."""
    rows = []
    folder = Path(folder)
    models = Path(models) if models else folder.parent / "models"
    for path in sorted(folder.rglob("*.tsv")):
        if path == folder / "driver.tsv":
            continue
        last = pd.read_csv(path, sep="\t").iloc[-1]
        rule = path.relative_to(folder).parts[0].removesuffix(".tsv")
        busy = max(1, round(float(last["mean_load"]) / 100))
        count = MODELS_PER_JOB.get(rule, lambda tsv, m: 1)(path, models)
        rows.append(
            {
                "rule": rule,
                "wall_s": float(last["s"]),
                "cpu_s": float(last["cpu_time"]),
                "busy": busy,
                "models": count if rule in TRAINING_RULES else 0,
            }
        )
    return pd.DataFrame(rows, columns=["rule", "wall_s", "cpu_s", "busy", "models"])


def summarize(table: pd.DataFrame, cores: int) -> pd.DataFrame:
    table = table.assign(core_s=table.wall_s * table.busy.clip(upper=cores))
    out = table.groupby("rule").agg(
        jobs=("wall_s", "size"),
        models=("models", "sum"),
        wall_s=("wall_s", "sum"),
        cpu_s=("cpu_s", "sum"),
        core_s=("core_s", "sum"),
    )
    out.loc["total"] = [
        out.jobs.sum(),
        out.models.sum(),
        out.wall_s.sum(),
        out.cpu_s.sum(),
        out.core_s.sum(),
    ]
    out["cpu_s_per_model"] = (out.cpu_s / out.models).where(out.models > 0)
    out[f"minutes_on_{cores}_cores"] = out.core_s / cores / 60
    return out


def write_driver_usage(path: str | Path, jobs: int) -> None:
    """The calling process's (the Snakemake driver's) own CPU and wall seconds so far, and
    the jobs it ran: one row, the format of Snakemake's benchmark files where they overlap."""
    import psutil

    usage = resource.getrusage(resource.RUSAGE_SELF)  # the driver alone, not its jobs
    wall = time.time() - psutil.Process(os.getpid()).create_time()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(
        f"s\tcpu_time\tjobs\n{wall:.2f}\t{usage.ru_utime + usage.ru_stime:.2f}\t{jobs}\n"
    )


def driver_share(folder: str | Path, jobs_cpu_s: float) -> dict | None:
    """The driver's last run: its CPU seconds, jobs, and share of the CPU it and the jobs used."""
    path = Path(folder) / "driver.tsv"
    if not path.exists():
        return None
    row = pd.read_csv(path, sep="\t").iloc[-1]
    cpu = float(row["cpu_time"])
    return {
        "driver_cpu_s": cpu,
        "driver_wall_s": float(row["s"]),
        "jobs": int(row["jobs"]),
        "share": cpu / (cpu + jobs_cpu_s) if cpu + jobs_cpu_s > 0 else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="data/benchmarks")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--models", default=None, help="trained models (default: data/models)")
    args = parser.parse_args(argv)
    summary = summarize(collect(args.folder, args.models), args.cores)
    print(summary.round(1).to_string())
    driver = driver_share(args.folder, float(summary.loc["total", "cpu_s"]))
    if driver:
        print(
            f"\ndriver (its last run): {driver['driver_cpu_s']:.1f} CPU-s over "
            f"{driver['driver_wall_s']:.0f} s for {driver['jobs']} jobs, "
            f"{100 * driver['share']:.1f}% of the CPU time of the driver and the jobs above"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
