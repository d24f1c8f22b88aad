"""The ViT block as frozen dataclasses: every profile's block converts whole, a job's part of
it converts alone, and a key the block should not hold is refused by name."""

import dataclasses

import pytest

from anatomy.pipeline.config import load_profile
from anatomy.vit import models as vit
from anatomy.vit.settings import Architecture, ViTSettings


@pytest.mark.parametrize("profile", ["default", "smoke", "gpu"])
def test_every_profile_block_becomes_frozen_settings_with_the_same_values(profile):
    block = load_profile(profile)["vit"]
    s = ViTSettings.of(block)
    assert s.data.size == block["data"]["size"] and s.model.heads == block["model"]["heads"]
    assert s.patch_sizes == tuple(block["patch_sizes"])
    assert s.training.learning_rate == block["training"]["learning_rate"]
    assert s.token_sweep.sizes == tuple(block["token_sweep"]["sizes"])
    assert [spec.name for spec in vit.experiment_specs(s)][
        0
    ] == f"softmax_p{block['patch_sizes'][0]}"
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.data.size = 1


def test_a_jobs_part_of_the_block_converts_alone_and_the_rest_stays_none():
    s = ViTSettings.of({"model": {"embed_dim": 8, "depth": 1, "heads": 2}, "registers": 2})
    assert s.model == Architecture(8, 1, 2) and s.registers == 2
    assert s.data is None and s.training is None and s.analysis is None


def test_an_unknown_key_is_refused_by_name():
    with pytest.raises(TypeError, match="unknown key 'patchsizes'"):
        ViTSettings.of({"patchsizes": [4]})
    with pytest.raises(TypeError, match="unknown key model.width"):
        ViTSettings.of({"model": {"width": 8, "depth": 1, "heads": 2}})
