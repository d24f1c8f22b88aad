"""Run hygiene: threads, device choice, metadata."""

import torch

from anatomy.pipeline.runtime import RunContext, config_hash, select_device, set_threads


def test_select_device_respects_the_profile(monkeypatch):
    # A machine with a GPU: used only when the profile allows it.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert select_device(True) == "cuda"
    assert select_device(False) == "cpu"
    # A machine without one: the CPU whatever the profile says.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert select_device(True) == "cpu"


def test_config_hash_ignores_key_order_and_sees_values():
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_config_hash_sees_the_operator_plugins_code(tmp_path, monkeypatch):
    plain = config_hash({"a": 1})
    (tmp_path / "my_plugin.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("ANATOMY_OPERATOR_PLUGINS", "my_plugin")
    with_plugin = config_hash({"a": 1})
    assert with_plugin != plain
    (tmp_path / "my_plugin.py").write_text("X = 2\n")
    assert config_hash({"a": 1}) not in (plain, with_plugin)


def test_set_threads_pins_torch():
    before = torch.get_num_threads()
    try:
        set_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_metadata_records_what_the_design_asks(tmp_path):
    ctx = RunContext(profile="smoke", seed=3, threads=1, device="cpu", settings={"n": 4})
    ctx.write_metadata(tmp_path / "m.json", rows=10)
    import json

    meta = json.loads((tmp_path / "m.json").read_text())
    for key in ("profile", "config_hash", "seed", "git_commit", "device", "wall_time_s"):
        assert key in meta
    assert meta["config_hash"] == config_hash({"n": 4}) and meta["rows"] == 10
