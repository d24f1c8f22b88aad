"""Sum Snakemake benchmark files per rule: how long each part of the DAG took.

Usage: ``python -m anatomy.benchmarks [data/benchmarks] [--cores 2]``. Prints, per rule, the
number of jobs and their summed wall and CPU seconds, and the wall time the sum implies on
``--cores`` cores (jobs run side by side; a job that kept k cores busy, by its mean load,
counts k times its wall time).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def collect(folder: str | Path) -> pd.DataFrame:
    """One row per benchmark file: its rule (first folder or file stem), wall s, CPU s and
    the cores it kept busy (its mean load in percent, rounded to whole cores, at least 1)."""
    rows = []
    folder = Path(folder)
    for path in sorted(folder.rglob("*.tsv")):
        last = pd.read_csv(path, sep="\t").iloc[-1]
        rule = path.relative_to(folder).parts[0].removesuffix(".tsv")
        busy = max(1, round(float(last["mean_load"]) / 100))
        rows.append(
            {
                "rule": rule,
                "wall_s": float(last["s"]),
                "cpu_s": float(last["cpu_time"]),
                "busy": busy,
            }
        )
    return pd.DataFrame(rows, columns=["rule", "wall_s", "cpu_s", "busy"])


def summarize(table: pd.DataFrame, cores: int) -> pd.DataFrame:
    table = table.assign(core_s=table.wall_s * table.busy.clip(upper=cores))
    out = table.groupby("rule").agg(
        jobs=("wall_s", "size"),
        wall_s=("wall_s", "sum"),
        cpu_s=("cpu_s", "sum"),
        core_s=("core_s", "sum"),
    )
    out.loc["total"] = [out.jobs.sum(), out.wall_s.sum(), out.cpu_s.sum(), out.core_s.sum()]
    out[f"minutes_on_{cores}_cores"] = out.core_s / cores / 60
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="data/benchmarks")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args(argv)
    print(summarize(collect(args.folder), args.cores).round(1).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
