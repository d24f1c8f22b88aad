"""What ViT attention looks at: mean attention distance, [CLS] attention and rollout,
maps thresholded at a share of their mass, and their Jaccard index with object masks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def patch_centres(grid: int, patch: int) -> Tensor:
    """Pixel centres of a ``grid x grid`` patch layout, ``(grid^2, 2)``, row-major."""
    side = (torch.arange(grid, dtype=torch.float64) + 0.5) * patch
    return torch.cartesian_prod(side, side)


def mean_attention_distance(maps: Tensor, grid: int, patch: int, prefix: int = 1) -> Tensor:
    """Attention-weighted distance in pixels between each patch query and the patches it
    attends to (ViT, Fig. 7), per head: ``maps (B, h, N, N)`` with ``prefix`` leading
    non-patch tokens ([CLS], registers), whose rows and columns are left out (the patch
    columns are renormalized). Returns ``(h,)``."""
    a = maps[:, :, prefix:, prefix:].double()
    a = a / a.sum(-1, keepdim=True).clamp_min(1e-12)
    centres = patch_centres(grid, patch)
    dist = torch.cdist(centres, centres)  # (P, P)
    return (a * dist).sum(-1).mean((0, 2))


def uniform_distance(grid: int, patch: int) -> float:
    """Mean attention distance of uniform attention: the mean distance between patches."""
    centres = patch_centres(grid, patch)
    return float(torch.cdist(centres, centres).mean())


def rollout(maps: list[Tensor]) -> Tensor:
    """Attention rollout (Abnar & Zuidema): heads averaged, ``(A + I)/2`` with rows
    renormalized, multiplied over layers. ``(B, N, N)``."""
    out = None
    for a in maps:
        a = a.double().mean(1)
        a = 0.5 * (a + torch.eye(a.shape[-1], dtype=a.dtype))
        a = a / a.sum(-1, keepdim=True)
        out = a if out is None else a @ out
    return out


def cls_map(attention: Tensor, grid: int, prefix: int = 1) -> Tensor:
    """The [CLS] row over the patches, heads averaged, as a ``(B, grid, grid)`` map that
    sums to one. ``attention`` is ``(B, h, N, N)`` or a rollout ``(B, N, N)``."""
    row = attention[..., 0, prefix:]
    if row.dim() == 3:
        row = row.mean(1)
    row = row / row.sum(-1, keepdim=True)
    return row.reshape(-1, grid, grid)


def mass_mask(maps: Tensor, share: float = 0.6) -> Tensor:
    """Keep the largest entries of each map until they hold ``share`` of its mass (DINO's
    masks); ``(B, ...)`` -> bool of the same shape."""
    flat = maps.flatten(1)
    values, order = flat.sort(-1, descending=True)
    before = values.cumsum(-1) - values  # mass of the larger entries
    keep_sorted = before < share * flat.sum(-1, keepdim=True)
    keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
    return keep.reshape(maps.shape)


def to_pixels(token_masks: Tensor, size: int) -> Tensor:
    """Token-grid masks ``(B, g, g)`` -> pixel masks ``(B, size, size)`` (nearest)."""
    up = F.interpolate(token_masks.unsqueeze(1).float(), size=(size, size), mode="nearest")
    return up.squeeze(1) > 0.5


def jaccard(a: Tensor, b: Tensor) -> Tensor:
    """Jaccard index per item of two boolean masks ``(B, ...)``."""
    a, b = a.flatten(1), b.flatten(1)
    union = (a | b).sum(-1)
    return torch.where(union > 0, (a & b).sum(-1) / union.clamp_min(1), torch.zeros(len(a)))


def random_maps(shape: tuple[int, ...], generator) -> Tensor:
    """Random-map baseline: i.i.d. exponential entries (a flat Dirichlet per map)."""
    return -torch.log(torch.rand(shape, generator=generator, dtype=torch.float64))


def patch_means(pixels: Tensor, patch: int) -> Tensor:
    """``(B, H, W)`` -> the mean over each ``patch x patch`` cell, ``(B, H/patch, W/patch)``."""
    return F.avg_pool2d(pixels.double().unsqueeze(1), patch).squeeze(1)


def object_agnostic_maps(objects, patch: int) -> dict[str, Tensor]:
    """Token maps ``(B, g, g)`` that know where things are but not which one the label needs:
    ``brightness`` (each patch's mean intensity, shifted to be nonnegative), ``objects`` (the
    share of each patch covered by either object: both weighted equally) and ``position``
    (the average target mask over the images, one map for all: where targets tend to be)."""
    brightness = patch_means((objects.images.double().mean(1) + 1).clamp_min(0), patch)
    either = patch_means((objects.target | objects.distractor).double(), patch)
    where = patch_means(objects.target.double(), patch).mean(0, keepdim=True)
    floor = 1e-9  # a patch no object ever covers keeps a sliver of mass: no empty map
    return {
        "brightness": brightness + floor,
        "objects": either + floor,
        "position": (where + floor).expand_as(either).clone(),
    }


def centroid(maps: Tensor, patch: int) -> Tensor:
    """Mass centroid in pixels (row, column) of ``(B, g, g)`` maps."""
    g = maps.shape[-1]
    centres = patch_centres(g, patch).reshape(g, g, 2)
    w = maps.double() / maps.double().sum((-2, -1), keepdim=True)
    return (w.unsqueeze(-1) * centres).sum((-3, -2))


def high_norm_fraction(tokens: Tensor, factor: float = 3.0) -> float:
    """Share of tokens whose norm exceeds ``factor`` times the median token norm (the
    artifact population of Darcet et al.)."""
    norms = tokens.double().norm(dim=-1).flatten()
    return float((norms > factor * norms.median()).double().mean())


def distance_ceiling_share(grid: int, patch: int) -> float:
    """Uniform attention's mean distance as a share of the image width (about 0.52 for a
    fine grid)."""
    return uniform_distance(grid, patch) / (grid * patch)


def pixel_map(token_maps: Tensor, patch: int) -> Tensor:
    """``(B, g, g)`` token maps summing to one -> ``(B, g*patch, g*patch)`` pixel maps that
    still sum to one (each token's mass spread evenly over its patch)."""
    up = token_maps.double().repeat_interleave(patch, -2).repeat_interleave(patch, -1)
    return up / patch**2


def circular_column(maps: Tensor) -> Tensor:
    """The column of a pixel map's centroid on the circle (the image's columns wrap around
    under a circular shift), in pixels: the angle of ``sum_x w(x) exp(2 pi i x / W)``."""
    width = maps.shape[-1]
    angle = 2 * torch.pi * (torch.arange(width, dtype=torch.float64) + 0.5) / width
    w = maps.double().sum(-2)  # mass per column
    z = torch.complex((w * torch.cos(angle)).sum(-1), (w * torch.sin(angle)).sum(-1))
    return torch.angle(z) * width / (2 * torch.pi)


def shift_stability(map_fn, images: Tensor, shift: int, patch: int) -> dict[str, float]:
    """How a map follows the image when the image moves ``shift`` pixels to the right
    (circularly). ``map_fn(images) -> (B, g, g)`` token maps that sum to one.

    - ``equivariance_error``: total variation between the map of the shifted image and the
      shifted map (0: the map moves exactly with the image);
    - ``static_error``: the same distance for a map that ignored the shift (the map of the
      original image, unmoved): the error of a map with no geometric meaning at all;
    - ``tracking``: how far the map's circular centroid moved, per pixel of shift (1: it
      follows the image, 0: it stays put). On the circle a shifted map's centroid moves by
      exactly the shift, whatever wraps around the border."""
    before = pixel_map(map_fn(images), patch)
    after = pixel_map(map_fn(images.roll(shift, dims=-1)), patch)
    error = 0.5 * (after - before.roll(shift, dims=-1)).abs().sum((-2, -1))
    static = 0.5 * (after - before).abs().sum((-2, -1))
    width = images.shape[-1]
    moved = circular_column(after) - circular_column(before)
    moved = torch.remainder(moved + width / 2, width) - width / 2  # the shorter way round
    return {
        "equivariance_error": float(error.mean()),
        "static_error": float(static.mean()),
        "tracking": float((moved / shift).mean()),
    }


def repatchify(model, patch_size: int):
    """A copy of a trained timm ViT with another patch size at the same image size: timm
    resamples the patch embedding and the position table (``set_input_size``)."""
    import copy

    other = copy.deepcopy(model)
    other.set_input_size(patch_size=(patch_size, patch_size))
    return other.eval()
