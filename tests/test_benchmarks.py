"""Benchmark summaries add up the rules' benchmark files."""

from anatomy.pipeline.benchmarks import collect, driver_share, summarize, write_driver_usage

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def test_summary_sums_jobs_and_models_per_rule(tmp_path):
    bench, models = tmp_path / "benchmarks", tmp_path / "models"
    (bench / "train_zoo_model").mkdir(parents=True)
    (bench / "train_zoo_model/parity.tsv").write_text(HEADER + "10\t0\t1\t1\t1\t1\t0\t0\t90\t9\n")
    (bench / "train_zoo_model/copy.tsv").write_text(HEADER + "20\t0\t1\t1\t1\t1\t0\t0\t90\t18\n")
    # one job trains every operator and seed of a task
    for task, operator, seeds in (
        ("parity", "softmax", 3),
        ("parity", "relu", 3),
        ("copy", "relu", 1),
    ):
        (models / "zoo" / task / operator).mkdir(parents=True)
        for seed in range(seeds):
            (models / "zoo" / task / operator / f"seed{seed}.pt").write_bytes(b"")
    (bench / "compile_note.tsv").write_text(HEADER + "2\t0\t1\t1\t1\t1\t0\t0\t50\t1\n")
    out = summarize(collect(bench, models), cores=2)
    assert out.loc["train_zoo_model", "jobs"] == 2 and out.loc["train_zoo_model", "wall_s"] == 30
    assert out.loc["train_zoo_model", "models"] == 7
    assert out.loc["train_zoo_model", "cpu_s_per_model"] == 27 / 7
    assert out.loc["total", "wall_s"] == 32 and out.loc["total", "minutes_on_2_cores"] == 32 / 120


def test_a_job_that_keeps_two_cores_busy_counts_twice(tmp_path):
    (tmp_path / "train_diffusion").mkdir()
    (tmp_path / "train_diffusion/base.tsv").write_text(
        HEADER + "60\t0\t1\t1\t1\t1\t0\t0\t190\t110\n"
    )
    out = summarize(collect(tmp_path), cores=2)
    assert out.loc["train_diffusion", "minutes_on_2_cores"] == 1.0  # 60 s on both cores
    assert out.loc["train_diffusion", "cpu_s_per_model"] == 110


def test_the_drivers_own_cpu_and_its_share(tmp_path):
    sum(i * i for i in range(200_000))  # some CPU in this process
    write_driver_usage(tmp_path / "driver.tsv", jobs=7)
    driver = driver_share(tmp_path, jobs_cpu_s=100.0)
    assert driver["jobs"] == 7 and driver["driver_cpu_s"] > 0
    assert driver["share"] == driver["driver_cpu_s"] / (driver["driver_cpu_s"] + 100.0)
    assert driver_share(tmp_path / "absent", 1.0) is None
