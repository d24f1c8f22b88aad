"""The smoke note through a real Slurm cluster: one node on this machine, started from Debian's
packages by ``workflow/cluster/local_slurm.sh``. Every job of the note is a Slurm job, as the
accounting database (``sacct``) records it, with the threads, memory and time limit its rule
declares, and the PDF is byte-identical to this repository's own smoke build.

Marked ``cluster``, which a plain ``pytest`` leaves out (it takes about 25 minutes on two cores
and runs daemons as root): ``make slurm-smoke`` runs it after ``make smoke``, and ``.ci/run``
runs that. It writes what it saw to ``data/cluster/slurm-smoke.txt``."""

import hashlib
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, copy_of_repo

from anatomy.pipeline.cluster import accounted_jobs, declared_jobs, mismatches, run_id

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

SCRIPT = ROOT / "workflow/cluster/local_slurm.sh"
DAEMONS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd", "sacct")
# Timings are the one input that is not a function of the code and the seed (.ci/run): the
# Slurm build reuses the local build's speed tables, everything else is recomputed.
TIMINGS = [
    f"data/results/equivalent_forms/{t}.{x}"
    for t in ("speed", "decoding")
    for x in ("parquet", "json")
]
REPORT = ROOT / "data/cluster/slurm-smoke.txt"
SHOWN = ["train_zoo_model", "train_diffusion_base", "measure_decoding_speed", "compile_note"]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def reference():
    """This repository's smoke build: its PDF, which the Slurm build must equal."""
    pdf = ROOT / "paper/build/note.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    if (
        not pdf.exists()
        or "SMOKE PROFILE" not in text
        or not all((ROOT / t).exists() for t in TIMINGS)
    ):
        pytest.fail(
            "build the smoke note here first (make smoke): the Slurm build is compared with it"
        )
    return pdf


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        pytest.fail(f"the local cluster's daemons run as root: run as root ({SCRIPT})")
    missing = [tool for tool in DAEMONS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: {SCRIPT.relative_to(ROOT)} install")
    subprocess.run([SCRIPT, "start"], check=True)
    yield
    subprocess.run([SCRIPT, "stop"], check=True)


def test_the_smoke_note_through_slurm(reference, cluster, tmp_path):
    work = copy_of_repo(tmp_path / "work")
    # The repository too: the note names its commit and takes its date from it.
    git = ROOT / ".git"
    if git.is_dir():
        shutil.copytree(git, work / ".git", symlinks=True)
    else:  # a worktree: a file naming the real folder
        shutil.copy2(git, work / ".git")
    for name in TIMINGS:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, work / name)
    env = dict(os.environ, SLURM_ACCOUNT="anatomy")
    snakemake = [sys.executable, "-m", "snakemake", "--workflow-profile", "profiles/slurm"]
    snakemake += ["--configfile", "config/smoke.yaml"]

    def run(*args):
        return subprocess.run(
            [*snakemake, *args], cwd=work, env=env, capture_output=True, text=True
        )

    plan = run("-n", "--cores", "256")  # the jobs to run; with --cores the plan shows threads
    assert plan.returncode == 0, plan.stderr[-3000:]
    declared = declared_jobs(plan.stdout + plan.stderr)
    # Short jobs: the plugin's first status check after 5 s, not 40.
    built = run("--slurm-init-seconds-before-status-checks", "5")
    output = built.stdout + built.stderr
    assert built.returncode == 0, output[-5000:]
    jobs = accounted_jobs(run_id(output))
    pdf = work / "paper/build/note.pdf"
    lines = [
        f"Slurm jobs: {len(jobs)} ({(jobs.State == 'COMPLETED').sum()} COMPLETED), "
        f"rule instances planned: {len(declared)}, of them on the driver: "
        f"{', '.join(declared[declared.local].rule) or 'none'}",
        f"PDF sha256 through Slurm: {sha256(pdf)}",
        f"PDF sha256 local build:   {sha256(reference)}",
        "",
        jobs[jobs.rule.isin(SHOWN)]
        .drop_duplicates("rule")[
            ["JobID", "rule", "AllocCPUS", "ReqMem", "Timelimit", "Elapsed", "State"]
        ]
        .to_string(index=False),
    ]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    assert set(jobs.State) == {"COMPLETED"}, jobs[jobs.State != "COMPLETED"].to_string()
    assert mismatches(declared, jobs) == []
    assert sha256(pdf) == sha256(reference)
