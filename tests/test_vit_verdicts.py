"""Every ViT verdict on both sides of its rule."""

import pytest

from anatomy.vit import verdicts as vv


def test_locality_against_the_uniform_ceiling():
    assert vv.locality(0.81) == "no head of any model became local"
    assert vv.locality(0.5) == "some heads became local"
    assert vv.layer_locality(0.6, 0.1) == "local"
    assert vv.layer_locality(0.95, 0.1) == "global"
    assert vv.layer_locality(0.78, 0.05) == "undecided"


def test_a_map_clears_the_random_map_by_three_standard_errors():
    assert vv.clears_random(0.10, 0.02, 0.0, 0.02)  # 0.10 > 3 * 0.028
    assert not vv.clears_random(0.08, 0.02, 0.0, 0.02)  # 0.08 < 0.085
    assert vv.models_clearing([True, True]) == "every trained model's rollout"
    assert vv.models_clearing([False, False]) == "no trained model's rollout"
    assert vv.models_clearing([True, False, True]) == "the rollout of 2 of the 3 trained models"


def test_the_object_claim_needs_the_paired_interval_clear_of_the_best_baseline():
    ahead = vv.against_baseline([0.20, 0.22, 0.21], [0.01, 0.02, 0.00])
    assert ahead.endswith("better than") and "no better" not in ahead
    level = vv.against_baseline([0.20, 0.02, 0.11], [0.10, 0.10, 0.10])
    assert level.endswith("no better than")
    behind = vv.against_baseline([0.00, 0.01, 0.00], [0.10, 0.12, 0.11])
    assert behind.endswith("worse than")
    assert vv.against_baseline([0.3], [0.0]).startswith("cannot")
    with pytest.raises(ValueError):
        vv.against_baseline([0.1, 0.2], [0.1])
    assert vv.answer_objects(True, [True]).startswith("does find")
    assert vv.answer_objects(False, [True]).startswith("finds the objects, but")
    assert vv.answer_objects(False, [False]).startswith("does not find")


def test_the_geometry_verdicts():
    assert vv.cls_against_rollout(0.2, 0.1) == "better than"
    assert vv.cls_against_rollout(0.1, 0.1) == "no better than"
    assert vv.one_pixel_shift(0.9, 1.0) == "about as much as if the image had not moved"
    assert vv.one_pixel_shift(0.5, 1.0) == "less than if the image had not moved"
    assert vv.grid_tie(0.1, 0.5) == "tied to the token grid"
    assert vv.grid_tie(0.3, 0.5) == "not tied to the token grid"
    assert vv.high_norms(0.0) == "no model grows a high-norm population"
    assert vv.high_norms(0.01) == "some models grow a high-norm population"


def test_the_token_sweep_verdicts():
    assert vv.relative_spread([2.0, 2.0, 2.0]) == 0
    assert vv.relative_spread([1.0, 3.0]) == pytest.approx(1.0)
    # Distance constant in patches (pixels double) / constant in pixels / neither.
    patches = vv.distance_unit(0.05, 0.67, lowest_ratio=0.5)
    assert patches.startswith("keeps its length in patches") and "uniform" not in patches
    assert "uniform attention" in vv.distance_unit(0.05, 0.67, lowest_ratio=0.95)
    assert vv.distance_unit(0.67, 0.05, 0.5) == "keeps its length in pixels, not in patches"
    assert vv.distance_unit(0.4, 0.5, 0.5).startswith("keeps its length neither")
    # Accuracy, paired by seed.
    assert vv.accuracy_change([0.9, 0.92, 0.91], [0.7, 0.71, 0.69]) == "higher"
    assert vv.accuracy_change([0.7, 0.71, 0.69], [0.9, 0.92, 0.91]) == "lower"
    assert vv.accuracy_change([0.9, 0.7, 0.8], [0.8, 0.8, 0.8]) == "no different"
    assert "one seed" in vv.accuracy_change([0.9], [0.8])
    # Which factor accuracy follows.
    assert "together do" in vv.patch_or_tokens("lower", "no different")
    assert vv.patch_or_tokens("lower", "higher").startswith("the patch size itself")
    assert "cannot be attributed" in vv.patch_or_tokens("no different", "no different")
    assert "one seed" in vv.patch_or_tokens("not comparable on one seed", "no different")
