"""Images for the ViT experiments: a target object whose shape is the label, a distractor as
salient as the target, a textured, noisy background, random positions and sizes, and a mask
per object. Vectorized: one batch is a few tensor operations.

The distractor is a filled cross, a shape that never decides a label, drawn in the target's
colour with the target's area (to within pixel rounding). Brightness, area and colour cannot
tell the two apart, only the shape that carries the label can: an attention map that lands on
"a salient blob" covers either object, one that lands on "the object" the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from anatomy.core.shapes_data import SHAPES, shape_masks


@dataclass(frozen=True)
class Objects:
    """``images (N, 3, H, W)`` roughly in [-1, 1]; ``target``, ``distractor`` masks
    ``(N, H, W)`` bool; ``labels (N,)`` the target's shape."""

    images: Tensor
    target: Tensor
    distractor: Tensor
    labels: Tensor


CROSS_ARM = 0.3  # the cross's arm half-width, as a share of its half-span
CROSS_AREA = 8 * CROSS_ARM - 4 * CROSS_ARM**2  # its area in units of half-span squared


def cross_masks(cx: Tensor, cy: Tensor, radius: Tensor, size: int) -> Tensor:
    """Filled crosses ``(N, H, W)`` of half-span ``radius``: the distractor, never a label."""
    ys, xs = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    dx, dy = (xs - cx.view(-1, 1, 1)).abs(), (ys - cy.view(-1, 1, 1)).abs()
    r = radius.view(-1, 1, 1)
    arm = CROSS_ARM * r
    return ((dx <= r) & (dy <= arm)) | ((dy <= r) & (dx <= arm))


def equal_area_radius(target_area: Tensor) -> Tensor:
    """The cross half-span whose area equals ``target_area`` (pixels)."""
    return (target_area.double() / CROSS_AREA).sqrt().float()


SPAN_RANGE = (0.8, 1.2)  # drawn half-spans tried around the continuous estimate


def matched_cross(target_area: Tensor, cx: Tensor, cy: Tensor, estimate: Tensor, size: int):
    """Crosses at ``(cx, cy)`` whose drawn pixel count is the closest to ``target_area``
    among half-spans from ``SPAN_RANGE`` times ``estimate`` (small shapes round coarsely)."""
    best, best_error = None, None
    for scale in torch.linspace(*SPAN_RANGE, 17).tolist():
        masks = cross_masks(cx, cy, estimate * scale, size)
        error = (masks.sum((-2, -1)) - target_area).abs()
        if best is None:
            best, best_error = masks, error
        else:
            better = error < best_error
            best = torch.where(better.view(-1, 1, 1), masks, best)
            best_error = torch.minimum(error, best_error)
    return best


def texture(n: int, size: int, generator, cells: int = 4) -> Tensor:
    """Smooth random texture ``(N, 1, H, W)`` in about [-1, 1]: bilinear upsampled noise."""
    coarse = torch.randn(n, 1, cells, cells, generator=generator)
    return torch.tanh(
        F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    )


def sample(n: int, size: int, generator, radius=(0.1, 0.18), noise: float = 0.15) -> Objects:
    """``n`` images of side ``size``: target (label = its shape) and a filled-cross
    distractor of the same colour and area at random, non-overlapping positions."""
    lo, hi = radius
    r_t = (lo + (hi - lo) * torch.rand(n, generator=generator)) * size
    labels = torch.randint(0, len(SHAPES), (n,), generator=generator)
    centre = torch.full((n,), size / 2)
    area = shape_masks(labels, centre, centre, r_t, size).sum((-2, -1))
    # The cross's half-span is matched to the target's drawn area below, within this range.
    r_d = equal_area_radius(area) * SPAN_RANGE[1]
    # Positions: both redrawn, all images at once, until the two objects are apart.
    cx_t, cy_t, cx_d, cy_d = (torch.zeros(n) for _ in range(4))
    pending = torch.ones(n, dtype=torch.bool)
    for _ in range(256):
        k = int(pending.sum())
        if k == 0:
            break
        for c, r in ((cx_t, r_t), (cy_t, r_t), (cx_d, r_d), (cy_d, r_d)):
            c[pending] = r[pending] + (size - 2 * r[pending]) * torch.rand(k, generator=generator)
        # Bounding boxes a pixel apart along one axis: the two objects never touch.
        reach = r_t + r_d + 1
        apart = ((cx_d - cx_t).abs() > reach) | ((cy_d - cy_t).abs() > reach)
        pending &= ~apart
    if pending.any():
        raise RuntimeError("could not place the distractor apart from the target")
    target = shape_masks(labels, cx_t, cy_t, r_t, size)
    distractor = matched_cross(target.sum((-2, -1)), cx_d, cy_d, r_d / SPAN_RANGE[1], size)
    colour = 0.6 + 0.4 * torch.rand(n, 3, generator=generator)  # bright, shared by both
    background = 0.35 * texture(n, size, generator).expand(-1, 3, -1, -1)
    objects = (target | distractor).unsqueeze(1)
    images = torch.where(objects, colour.view(n, 3, 1, 1), background)
    images = images + noise * torch.randn(images.shape, generator=generator)
    return Objects(images, target, distractor, labels)


def make_dataset(
    train: int, evaluation: int, size: int, seed: int, radius=(0.1, 0.18), noise=0.15
) -> dict:
    """The cached data: a training set (images in float16, labels) and an evaluation set
    with its masks, drawn from two independent generators."""
    g_train = torch.Generator().manual_seed(seed)
    g_eval = torch.Generator().manual_seed(seed + 1_000_003)
    tr = sample(train, size, g_train, tuple(radius), noise)
    ev = sample(evaluation, size, g_eval, tuple(radius), noise)
    return {
        "train_images": tr.images.half(),
        "train_labels": tr.labels,
        "eval": {
            "images": ev.images,
            "target": ev.target,
            "distractor": ev.distractor,
            "labels": ev.labels,
        },
    }


def evaluation_set(data: dict, n: int | None = None) -> Objects:
    """The first ``n`` evaluation images (all when ``n`` is None) as :class:`Objects`."""
    ev = data["eval"]
    n = len(ev["labels"]) if n is None else min(n, len(ev["labels"]))
    return Objects(ev["images"][:n], ev["target"][:n], ev["distractor"][:n], ev["labels"][:n])


def training_sampler(data: dict):
    """``sampler(n, generator) -> (images, labels)`` over the cached training set, with
    random horizontal flips (a flip never changes a shape's label)."""
    images, labels = data["train_images"], data["train_labels"]

    def sampler(n: int, generator):
        index = torch.randint(0, len(labels), (n,), generator=generator)
        x = images[index].float()
        flip = torch.rand(n, generator=generator) < 0.5
        return torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x), labels[index]

    return sampler
