"""Benchmark summaries add up the rules' benchmark files."""

from anatomy.benchmarks import collect, summarize

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def test_summary_sums_jobs_per_rule(tmp_path):
    (tmp_path / "train_zoo_model/parity/softmax").mkdir(parents=True)
    (tmp_path / "train_zoo_model/parity/softmax/seed0.tsv").write_text(
        HEADER + "10\t0\t1\t1\t1\t1\t0\t0\t90\t9\n"
    )
    (tmp_path / "train_zoo_model/parity/relu").mkdir(parents=True)
    (tmp_path / "train_zoo_model/parity/relu/seed0.tsv").write_text(
        HEADER + "20\t0\t1\t1\t1\t1\t0\t0\t90\t18\n"
    )
    (tmp_path / "compile_note.tsv").write_text(HEADER + "2\t0\t1\t1\t1\t1\t0\t0\t50\t1\n")
    out = summarize(collect(tmp_path), cores=2)
    assert out.loc["train_zoo_model", "jobs"] == 2 and out.loc["train_zoo_model", "wall_s"] == 30
    assert out.loc["total", "wall_s"] == 32 and out.loc["total", "minutes_on_2_cores"] == 32 / 120


def test_a_job_that_keeps_two_cores_busy_counts_twice(tmp_path):
    (tmp_path / "train_diffusion").mkdir()
    (tmp_path / "train_diffusion/base.tsv").write_text(
        HEADER + "60\t0\t1\t1\t1\t1\t0\t0\t190\t110\n"
    )
    out = summarize(collect(tmp_path), cores=2)
    assert out.loc["train_diffusion", "minutes_on_2_cores"] == 1.0  # 60 s on both cores
