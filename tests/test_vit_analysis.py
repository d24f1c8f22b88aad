"""ViT data and map measurements against known values."""

import math

import torch

from anatomy.vit import data as vit_data
from anatomy.vit import maps as va


def test_objects_have_disjoint_masks_labels_and_shared_colour():
    g = torch.Generator().manual_seed(0)
    data = vit_data.sample(64, 32, g)
    assert data.images.shape == (64, 3, 32, 32)
    assert not (data.target & data.distractor).any()
    assert data.target.flatten(1).any(-1).all() and data.distractor.flatten(1).any(-1).all()
    assert set(data.labels.tolist()) == {0, 1, 2}
    # Same contrast: the mean colour inside both objects agrees (up to the pixel noise).
    inside_t = (data.images * data.target.unsqueeze(1)).sum((2, 3)) / data.target.sum((1, 2))[
        :, None
    ]
    inside_d = (data.images * data.distractor.unsqueeze(1)).sum((2, 3)) / data.distractor.sum(
        (1, 2)
    )[:, None]
    assert (inside_t - inside_d).abs().max() < 0.15


def test_mean_distance_is_zero_for_identity_and_the_grid_mean_for_uniform():
    grid, patch = 4, 8
    n = 1 + grid * grid
    eye = torch.eye(n).expand(2, 3, n, n)
    assert torch.allclose(va.mean_attention_distance(eye, grid, patch), torch.zeros(3).double())
    uniform = torch.full((2, 3, n, n), 1.0 / n)
    expected = va.uniform_distance(grid, patch)
    assert torch.allclose(
        va.mean_attention_distance(uniform, grid, patch), torch.full((3,), expected).double()
    )
    # A 2 x 2 grid of unit patches: distances 0, 1, 1, sqrt 2 from each patch.
    assert math.isclose(va.uniform_distance(2, 1), (2 + math.sqrt(2)) / 4)
    # Fine grids: uniform attention reaches about 0.52 of the image width.
    assert abs(va.distance_ceiling_share(64, 1) - 0.52) < 0.01


def test_rollout_of_identity_is_identity_and_rows_stay_stochastic():
    n = 5
    assert torch.allclose(va.rollout([torch.eye(n).expand(1, 2, n, n)] * 3), torch.eye(n).double())
    g = torch.Generator().manual_seed(0)
    maps = [torch.softmax(torch.randn(2, 2, n, n, generator=g), -1) for _ in range(3)]
    assert torch.allclose(va.rollout(maps).sum(-1), torch.ones(2, n).double())


def test_mass_mask_keeps_the_top_share():
    maps = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    assert va.mass_mask(maps, 0.6).tolist() == [[True, True, False, False]]
    assert va.mass_mask(maps, 0.5).tolist() == [[True, False, False, False]]
    assert va.mass_mask(maps, 1.0).tolist() == [[True, True, True, True]]


def test_jaccard_and_centroid_known_values():
    a = torch.tensor([[True, True, False, False]])
    b = torch.tensor([[False, True, True, False]])
    assert math.isclose(va.jaccard(a, b).item(), 1 / 3, rel_tol=1e-6)
    one_hot = torch.zeros(1, 4, 4)
    one_hot[0, 1, 2] = 1
    assert va.centroid(one_hot, 8).tolist() == [[12.0, 20.0]]


def test_cls_map_sums_to_one_on_the_grid():
    n = 1 + 9
    maps = torch.softmax(torch.randn(2, 3, n, n), -1)
    m = va.cls_map(maps, 3)
    assert m.shape == (2, 3, 3) and torch.allclose(m.sum((1, 2)), torch.ones(2))


def test_high_norm_fraction():
    tokens = torch.ones(1, 10, 4)
    tokens[0, 0] *= 10
    assert va.high_norm_fraction(tokens) == 0.1


def patch_intensity(images, patch=4):
    """An exactly equivariant 'map': each patch's mean intensity, normalized."""
    pooled = torch.nn.functional.avg_pool2d(images.mean(1, keepdim=True), patch).squeeze(1)
    pooled = pooled - pooled.amin((-2, -1), keepdim=True) + 1e-6
    return pooled / pooled.sum((-2, -1), keepdim=True)


def test_shift_stability_of_an_equivariant_map():
    g = torch.Generator().manual_seed(0)
    images = torch.zeros(3, 3, 16, 16)
    images[:, :, 4:8, 4:8] = 1 + torch.rand(3, 1, 1, 1, generator=g)  # one bright patch
    whole = va.shift_stability(patch_intensity, images, shift=4, patch=4)
    assert whole["equivariance_error"] < 1e-4
    assert abs(whole["tracking"] - 1) < 1e-3
    assert whole["static_error"] > 0.5  # the bright patch moved: an unmoved map is far off
    # Half a patch: the pooled map cannot follow exactly.
    half = va.shift_stability(patch_intensity, images, shift=2, patch=4)
    assert half["equivariance_error"] > 0.1


def test_circular_centroid_moves_exactly_with_a_circular_shift():
    g = torch.Generator().manual_seed(2)
    maps = torch.rand(5, 12, 12, generator=g)
    maps = maps / maps.sum((-2, -1), keepdim=True)
    for shift in (1, 5, 11):
        moved = va.circular_column(maps.roll(shift, -1)) - va.circular_column(maps)
        moved = torch.remainder(moved + 6, 12) - 6
        expected = shift if shift < 6 else shift - 12
        assert torch.allclose(moved, torch.full_like(moved, float(expected)), atol=1e-9)


def test_a_map_that_ignores_the_image_does_not_track():
    g = torch.Generator().manual_seed(1)
    images = torch.rand(4, 3, 16, 16, generator=g)
    fixed = torch.softmax(torch.randn(1, 4, 4, generator=g).flatten(1), -1).reshape(1, 4, 4)

    def constant(x):
        return fixed.expand(len(x), -1, -1)

    out = va.shift_stability(constant, images, shift=4, patch=4)
    assert abs(out["tracking"]) < 1e-9
    assert out["static_error"] < 1e-12
    assert abs(out["equivariance_error"] - 0.5 * (fixed - fixed.roll(1, -1)).abs().sum()) < 1e-9


def test_pixel_map_keeps_the_mass():
    m = torch.softmax(torch.randn(2, 3, 3), -1)
    m = m / m.sum((-2, -1), keepdim=True)
    assert torch.allclose(va.pixel_map(m, 4).sum((-2, -1)), torch.ones(2).double())


def test_repatchify_keeps_the_image_size_and_changes_the_grid():
    from anatomy.vit import models as vit

    model = vit.build_vit(16, 4, 16, 1, 2, 3).eval()
    coarse = va.repatchify(model, 8)
    assert coarse.patch_embed.grid_size == (2, 2)
    assert model.patch_embed.grid_size == (4, 4)  # the original is untouched
    assert coarse(torch.randn(1, 3, 16, 16)).shape == (1, 3)
    assert len(vit.capture(coarse, torch.randn(1, 3, 16, 16))[0][0, 0]) == 1 + 4


def test_mean_attention_distance_of_a_one_hot_off_centre_map_by_hand():
    # A 2x2 grid of 4-pixel patches and a [CLS] token. Head 0: every patch query attends to
    # patch 0 (top left); distances from the four queries to it are 0, 4, 4, 4 sqrt(2)
    # pixels, so its mean over queries is (8 + 4 sqrt 2) / 4 = 2 + sqrt 2. Head 1: every query
    # attends to itself, distance 0. Two images, the second with the heads swapped: each head
    # then averages 2 + sqrt 2 and 0 over the batch.
    maps = torch.zeros(2, 2, 5, 5)
    maps[0, 0, :, 1] = 1.0  # column 1 is patch 0
    maps[0, 1] = torch.eye(5)
    maps[1, 0] = torch.eye(5)
    maps[1, 1, :, 1] = 1.0
    maps[:, :, 0, :] = 0.2  # the [CLS] row is left out
    distance = va.mean_attention_distance(maps, grid=2, patch=4)
    half = (2 + math.sqrt(2)) / 2
    assert torch.allclose(distance, torch.tensor([half, half], dtype=torch.float64)), distance
    one = va.mean_attention_distance(maps[:1], grid=2, patch=4)
    assert torch.allclose(one, torch.tensor([2 + math.sqrt(2), 0.0], dtype=torch.float64)), one


def test_rollout_multiplies_later_layers_on_the_left():
    # Two layers on two tokens, by hand: layer 1 sends everyone to token 0, layer 2 to
    # token 1. With (A + I) / 2: R1 = [[1, 0], [.5, .5]], R2 = [[.5, .5], [0, 1]], and the
    # rollout is R2 @ R1 = [[.75, .25], [.5, .5]] (R1 @ R2 would be [[.5, .5], [.25, .75]]).
    first = torch.tensor([[[[1.0, 0.0], [1.0, 0.0]]]])  # (B=1, h=1, 2, 2)
    second = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    out = va.rollout([first, second])
    expected = torch.tensor([[[0.75, 0.25], [0.5, 0.5]]], dtype=torch.float64)
    assert torch.allclose(out, expected), out
