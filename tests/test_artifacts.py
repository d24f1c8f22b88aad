"""Files the pipeline wrote that cannot be read name themselves and the command that makes
them again; checkpoints load with weights_only=True."""

import argparse

import pandas as pd
import pytest
import torch

from anatomy.core import artifacts
from anatomy.core.artifacts import UnreadableFile


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def test_a_truncated_parquet_is_named_with_its_regeneration_command(tmp_path):
    path = tmp_path / "results/x.parquet"
    path.parent.mkdir()
    pd.DataFrame({"a": range(100)}).to_parquet(path)
    assert artifacts.read_table(path).a.sum() == 4950
    assert artifacts.first_unreadable([path]) is None
    truncate(path)
    with pytest.raises(UnreadableFile) as caught:
        artifacts.read_table(path)
    assert str(caught.value).endswith(f"snakemake --cores 2 -f {path}")
    assert str(artifacts.first_unreadable([tmp_path / "absent.json", path])) == str(caught.value)


def test_a_truncated_checkpoint_is_named_and_loads_need_no_pickle(tmp_path):
    path = tmp_path / "m.pt"
    torch.save({"w": torch.ones(3), "meta": {"lr": 0.1, "names": ["a"]}}, path)
    assert artifacts.load_torch(path)["meta"]["lr"] == 0.1
    truncate(path, 0.9)
    with pytest.raises(UnreadableFile, match="m.pt cannot be read"):
        artifacts.load_torch(path)
    assert "m.pt" in str(artifacts.first_unreadable([path]))

    torch.save({"object": argparse.Namespace(a=1)}, path)  # a pickled object: refused
    with pytest.raises(UnreadableFile, match="Unpickl|WeightsUnpickler|weights_only"):
        artifacts.load_torch(path)


def test_a_damaged_file_inside_a_model_folder_names_the_folders_command(tmp_path):
    from safetensors.torch import save_file

    folder = tmp_path / "models/base"
    (folder / "unet").mkdir(parents=True)
    weights = folder / "unet/diffusion_pytorch_model.safetensors"
    save_file({"w": torch.ones(64, 64)}, weights)
    (folder / "unet/config.json").write_text('{"a": 1}')
    assert artifacts.first_unreadable([folder]) is None
    truncate(weights)
    problem = artifacts.first_unreadable([folder])
    assert problem is not None and problem.path == str(weights)
    assert str(problem).endswith(f"snakemake --cores 2 -f {folder}")
    (folder / "unet/config.json").write_text('{"a": ')
    assert "config.json" in str(artifacts.first_unreadable([folder]))
