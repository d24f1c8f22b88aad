"""The GPU run's checks (anatomy.pipeline.gpu_run): it refuses a machine without CUDA before running
anything, reads each job's device from the start line every pipeline script logs, and fails
when a job that asked for a GPU ran on the CPU. (The run itself needs a GPU: README.)"""

import logging
from types import SimpleNamespace

import pytest
import torch

from anatomy.pipeline import gpu_run, runtime


def job_log(tmp_path, rule, device, gpu):
    """The log a pipeline script writes, through the real wrapper (anatomy.pipeline.runtime)."""
    path = tmp_path / "logs" / f"{rule}.log"
    path.parent.mkdir(exist_ok=True)
    smk = SimpleNamespace(
        log=[str(path)],
        threads=1,
        rule=rule,
        params=SimpleNamespace(run={"allow_cuda": device == "cuda", "profile": "gpu"}),
        resources={"gpu": gpu},
        input=[],
    )
    original = runtime.select_device
    runtime.select_device = lambda allow: device
    try:
        with runtime.snakemake_job(smk):
            pass
    finally:
        runtime.select_device = original
        for handler in logging.getLogger().handlers[:]:
            if getattr(handler, "baseFilename", None) == str(path):
                logging.getLogger().removeHandler(handler)
                handler.close()
    return path


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal without CUDA")
def test_without_cuda_the_run_stops_before_any_job(tmp_path, monkeypatch):
    monkeypatch.setattr(gpu_run, "list_rules", lambda _: pytest.fail("ran snakemake"))
    with pytest.raises(gpu_run.GpuRunError, match="PyTorch sees no CUDA device"):
        gpu_run.main(["--out", str(tmp_path)])


def test_the_run_omits_the_rules_that_present():
    rules = ["all", "train_vit", "figure", "zoo_adjacency", "compile_note", "table"]
    rules.append("write_vit_macros")
    presenting = ["figure", "compile_note", "table", "write_vit_macros"]
    assert gpu_run.presentation_rules(rules) == presenting


def test_a_gpu_job_on_the_cpu_fails_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "set_threads", lambda threads: None)
    job_log(tmp_path, "train_vit", "cuda", 1)
    job_log(tmp_path, "measure_softmax_gap", "cuda", 0)
    devices = gpu_run.logged_devices(tmp_path / "logs")
    assert sorted(devices.rule) == ["measure_softmax_gap", "train_vit"]
    assert gpu_run.cuda_problems(devices) == []
    job_log(tmp_path, "train_diffusion_base", "cpu", 1)
    problems = gpu_run.cuda_problems(gpu_run.logged_devices(tmp_path / "logs"))
    assert len(problems) == 1 and problems[0].startswith("train_diffusion_base asked for a GPU")


def test_a_run_with_no_cuda_job_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "set_threads", lambda threads: None)
    job_log(tmp_path, "measure_softmax_gap", "cpu", 0)
    devices = gpu_run.logged_devices(tmp_path / "logs")
    assert gpu_run.cuda_problems(devices) == ["no job ran on CUDA"]
    assert gpu_run.logged_devices(tmp_path / "logs", since=4e9).empty  # written before 'since'
