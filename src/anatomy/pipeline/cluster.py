"""What a Slurm run did, read back from ``sacct``, against what the workflow declares.

Snakemake's Slurm plugin submits each job under the run's id as its job name, with the comment
``rule_<rule>`` (or ``rule_<rule>_wildcards_<values>``), and asks for the job's threads as CPUs,
its ``mem_mb`` as memory (plus a megabyte or so for its own payload) and its ``runtime`` as the
time limit. :func:`accounted_jobs` reads those back per job; :func:`declared_jobs` reads the
same three from Snakemake's plan of the run; :func:`mismatches` says where they differ.
"""

from __future__ import annotations

import re
import subprocess

import pandas as pd

SACCT_FIELDS = [
    "JobID",
    "JobName",
    "Comment",
    "AllocCPUS",
    "ReqMem",
    "Timelimit",
    "Elapsed",
    "State",
]
# The plugin adds its own payload's size to --mem: at least 1 MB, a few for big jobs.
MEM_FUDGE_MB = 16


def memory_mb(text: str) -> float:
    """Slurm's memory ("2000M", "4G", "1.50G", "500000K") in megabytes."""
    match = re.fullmatch(r"([\d.]+)([KMGT]?)[nc]?", text.strip())
    if match is None:
        raise ValueError(f"not a Slurm memory size: {text!r}")
    value, unit = float(match.group(1)), match.group(2) or "M"
    return value * {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024**2}[unit]


def minutes(text: str) -> float:
    """Slurm's time ("20:00" mm:ss, "01:00:00", "1-02:00:00") in minutes."""
    days, _, clock = text.strip().rpartition("-")
    parts = [float(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0.0)
    hours, mins, secs = parts
    return (float(days) if days else 0.0) * 1440 + hours * 60 + mins + secs / 60


def parse_sacct(text: str) -> pd.DataFrame:
    """``sacct -X -P -n --format=<SACCT_FIELDS>`` output as a table, with the rule and its
    wildcards from the comment and memory and time in MB and minutes."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        row = dict(zip(SACCT_FIELDS, line.split("|"), strict=True))
        match = re.fullmatch(r"rule_(.+?)(?:_wildcards_(.*))?", row["Comment"])
        row["rule"] = match.group(1) if match else ""
        row["wildcards"] = (match.group(2) or "") if match else ""
        row["cpus"] = int(row["AllocCPUS"])
        row["mem_mb"] = memory_mb(row["ReqMem"])
        row["runtime_min"] = minutes(row["Timelimit"])
        rows.append(row)
    columns = [*SACCT_FIELDS, "rule", "wildcards", "cpus", "mem_mb", "runtime_min"]
    return pd.DataFrame(rows, columns=columns)


def accounted_jobs(run_id: str) -> pd.DataFrame:
    """Every Slurm job of one Snakemake run (its ``SLURM run ID``), from the accounting database."""
    out = subprocess.run(
        ["sacct", "-X", "-P", "-n", "--name", run_id, "--format=" + ",".join(SACCT_FIELDS)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_sacct(out)


def run_id(snakemake_log: str) -> str:
    """The run id the plugin prints (``SLURM run ID: <uuid>``)."""
    match = re.search(r"SLURM run ID: (\S+)", snakemake_log)
    if match is None:
        raise ValueError("no 'SLURM run ID' in Snakemake's output: not a Slurm run?")
    return match.group(1)


def declared_jobs(dry_run: str) -> pd.DataFrame:
    """Each job of a Snakemake dry run (``-n`` with the Slurm profile): its rule, whether it
    runs on the driver (``localrule``, or a target with no output, as ``all``), and the
    threads, ``mem_mb`` and ``runtime`` it asks for."""
    rows = []
    for block in re.split(r"\n(?=(?:local)?rule \S+:\n)", dry_run):
        head = re.match(r"(local)?rule (\S+):\n", block)
        if head is None:
            continue
        threads = re.search(r"^\s+threads: (\d+)", block, re.M)
        resources = re.search(r"^\s+resources: (.*)$", block, re.M)
        found = dict(re.findall(r"(\w+)=([^,]+)", resources.group(1))) if resources else {}
        rows.append(
            {
                "rule": head.group(2),
                "local": bool(head.group(1)) or not re.search(r"^\s+output: ", block, re.M),
                "threads": int(threads.group(1)) if threads else 1,
                "mem_mb": float(found["mem_mb"]) if "mem_mb" in found else None,
                "runtime_min": float(found["runtime"]) if "runtime" in found else None,
            }
        )
    return pd.DataFrame(rows, columns=["rule", "local", "threads", "mem_mb", "runtime_min"])


def mismatches(declared: pd.DataFrame, accounted: pd.DataFrame) -> list[str]:
    """Where the Slurm jobs differ from the plan: a rule with another number of Slurm jobs
    than it has instances (local rules excepted), or whose jobs' CPUs, memory or time limits
    are not what its instances declare (compared per rule, sorted). Empty when every rule
    instance was one Slurm job as declared."""
    problems = []
    remote = declared[~declared.local]
    for rule in sorted(set(remote.rule) | set(accounted.rule)):
        want = sorted(
            remote.loc[remote.rule == rule, ["threads", "mem_mb", "runtime_min"]].itertuples(
                index=False, name=None
            )
        )
        got = sorted(
            accounted.loc[accounted.rule == rule, ["cpus", "mem_mb", "runtime_min"]].itertuples(
                index=False, name=None
            )
        )
        if len(want) != len(got):
            problems.append(f"{rule}: {len(want)} planned, {len(got)} Slurm jobs")
            continue
        for (threads, mem, runtime), (cpus, req_mem, limit) in zip(want, got, strict=True):
            if cpus != threads:
                problems.append(f"{rule}: a job with {cpus} CPUs, declared {threads}")
            if not mem <= req_mem <= mem + MEM_FUDGE_MB:
                problems.append(f"{rule}: a job with {req_mem:g} MB, declared {mem:g}")
            if abs(limit - runtime) > 1e-9:
                problems.append(f"{rule}: a job limited to {limit:g} min, declared {runtime:g}")
    return problems
