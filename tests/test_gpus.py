"""One GPU per job: claims through lock files, without a GPU (the device count is given)."""

import pytest

from anatomy.pipeline import gpus


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    yield
    gpus.release_all()


def test_jobs_get_distinct_devices_until_none_is_left(tmp_path, monkeypatch):
    claimed = []
    for _ in range(3):
        claimed.append(gpus.claim_gpu(count=3, lock_dir=tmp_path))
        assert gpus.os.environ["CUDA_VISIBLE_DEVICES"] == str(claimed[-1])
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES")  # the next job is another process
    assert claimed == [0, 1, 2]
    with pytest.raises(RuntimeError, match="--resources gpu=3"):
        gpus.claim_gpu(count=3, lock_dir=tmp_path)
    gpus.release_all()
    assert gpus.claim_gpu(count=3, lock_dir=tmp_path) == 0


def test_a_scheduler_choice_is_kept_and_no_gpu_means_cpu(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5")
    assert gpus.claim_gpu(count=8, lock_dir=tmp_path) is None
    assert gpus.os.environ["CUDA_VISIBLE_DEVICES"] == "5"
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert gpus.claim_gpu(count=0, lock_dir=tmp_path) is None
    assert "CUDA_VISIBLE_DEVICES" not in gpus.os.environ


def test_slots_let_several_jobs_share_each_gpu_spread_over_the_gpus(tmp_path, monkeypatch):
    monkeypatch.setenv(gpus.JOBS_PER_GPU, "2")
    claimed = []
    for _ in range(4):
        claimed.append(gpus.claim_gpu(count=2, lock_dir=tmp_path))
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert claimed == [0, 1, 0, 1]  # one job on every GPU before a second
    with pytest.raises(RuntimeError, match="--resources gpu=4"):
        gpus.claim_gpu(count=2, lock_dir=tmp_path)
    monkeypatch.setenv(gpus.JOBS_PER_GPU, "0")
    with pytest.raises(ValueError, match="ANATOMY_JOBS_PER_GPU"):
        gpus.jobs_per_gpu()
