"""Reading a Slurm run back (anatomy.pipeline.cluster): sacct's units, the rule of each job from the
plugin's comment, the plan's declared resources, and every kind of mismatch between the two."""

import pytest

from anatomy.pipeline.cluster import (
    declared_jobs,
    memory_mb,
    minutes,
    mismatches,
    parse_sacct,
    run_id,
)


def planned(rule: str, output: str, resources: str, extra: str = "") -> str:
    """One job as Snakemake's dry run prints it."""
    return (
        f"\n[Fri Dec  4 17:07:14 2026]\nrule {rule}:\n    output: {output}\n{extra}"
        f"    resources: tmpdir=/tmp, {resources}, slurm_account=anatomy\nShell command: None\n"
    )


PLAN = (
    planned("train_zoo_model", "data/models/zoo/copy/softmax/seed0.pt", "mem_mb=2000, runtime=20")
    + planned(
        "train_zoo_model", "data/models/zoo/first/softmax/seed0.pt", "mem_mb=2000, runtime=20"
    )
    + planned(
        "measure_decoding_speed",
        "data/results/equivalent_forms/decoding.parquet",
        "mem_mb=4000, runtime=30",
        extra="    threads: 2\n",
    )
    + "\n[Fri Dec  4 17:07:14 2026]\nrule all:\n    input: paper/build/note.pdf\n"
    "    resources: tmpdir=/tmp\n"
)

SACCT = """\
101|run-1|rule_train_zoo_model_wildcards_copy|1|2001M|00:20:00|00:01:10|COMPLETED
102|run-1|rule_train_zoo_model_wildcards_first|1|2001M|00:20:00|00:00:50|COMPLETED
103|run-1|rule_measure_decoding_speed|2|4001M|00:30:00|00:00:20|COMPLETED
"""


def test_slurm_units():
    assert memory_mb("2000M") == 2000
    assert memory_mb("4G") == 4096
    assert memory_mb("512K") == 0.5
    assert minutes("00:20:00") == 20
    assert minutes("20:00") == 20
    assert minutes("1-02:00:00") == 1560
    with pytest.raises(ValueError):
        memory_mb("lots")


def test_the_plan_and_the_accounting_agree():
    declared = declared_jobs(PLAN)
    assert list(declared.rule) == [
        "train_zoo_model",
        "train_zoo_model",
        "measure_decoding_speed",
        "all",
    ]
    assert list(declared.local) == [False, False, False, True]  # no output: runs on the driver
    assert declared.threads.tolist()[:3] == [1, 1, 2]
    jobs = parse_sacct(SACCT)
    assert jobs.rule.tolist() == ["train_zoo_model", "train_zoo_model", "measure_decoding_speed"]
    assert jobs.wildcards.tolist() == ["copy", "first", ""]
    assert mismatches(declared, jobs) == []


def test_each_kind_of_mismatch_is_named():
    declared = declared_jobs(PLAN)
    fewer = parse_sacct(SACCT.splitlines()[0] + "\n" + SACCT.splitlines()[2])
    assert mismatches(declared, fewer) == ["train_zoo_model: 2 planned, 1 Slurm jobs"]
    wrong = parse_sacct(SACCT.replace("|2|4001M|00:30:00|", "|1|8000M|00:20:00|"))
    assert mismatches(declared, wrong) == [
        "measure_decoding_speed: a job with 1 CPUs, declared 2",
        "measure_decoding_speed: a job with 8000 MB, declared 4000",
        "measure_decoding_speed: a job limited to 20 min, declared 30",
    ]
    extra = parse_sacct(SACCT + "104|run-1|rule_plot_zoo|1|2001M|00:20:00|00:00:05|COMPLETED\n")
    assert mismatches(declared, extra) == ["plot_zoo: 0 planned, 1 Slurm jobs"]


def test_the_run_id_comes_from_snakemakes_output():
    assert run_id("Building DAG of jobs...\nSLURM run ID: 6bfc39e1-76a1\n") == "6bfc39e1-76a1"
    with pytest.raises(ValueError, match="SLURM run ID"):
        run_id("Building DAG of jobs...")
