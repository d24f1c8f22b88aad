"""Images for the ViT experiments: a target object whose shape is the label, a distractor of
the same contrast, a textured, noisy background, random positions and sizes, and a mask per
object. Vectorized: one batch is a few tensor operations.

The distractor is drawn with the same colour as the target and is a shape that never decides
a label (a ring), so an attention map that lands on "a salient blob" and one that lands on
"the object" can be told apart: the first covers either, the second the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from anatomy.shapes_data import SHAPES, shape_masks


@dataclass(frozen=True)
class Objects:
    """``images (N, 3, H, W)`` roughly in [-1, 1]; ``target``, ``distractor`` masks
    ``(N, H, W)`` bool; ``labels (N,)`` the target's shape."""

    images: Tensor
    target: Tensor
    distractor: Tensor
    labels: Tensor


def ring_masks(cx: Tensor, cy: Tensor, radius: Tensor, size: int) -> Tensor:
    """Rings ``(N, H, W)``: the distractor shape, never a label."""
    ys, xs = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    d2 = (xs - cx.view(-1, 1, 1)) ** 2 + (ys - cy.view(-1, 1, 1)) ** 2
    r = radius.view(-1, 1, 1)
    return (d2 <= r**2) & (d2 >= (0.55 * r) ** 2)


def texture(n: int, size: int, generator, cells: int = 4) -> Tensor:
    """Smooth random texture ``(N, 1, H, W)`` in about [-1, 1]: bilinear upsampled noise."""
    coarse = torch.randn(n, 1, cells, cells, generator=generator)
    return torch.tanh(
        F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    )


def sample(n: int, size: int, generator, radius=(0.1, 0.18), noise: float = 0.15) -> Objects:
    """``n`` images of side ``size``: target (label = its shape) and a ring distractor of
    the same colour at random, non-overlapping positions and sizes."""
    lo, hi = radius
    r_t = (lo + (hi - lo) * torch.rand(n, generator=generator)) * size
    r_d = (lo + (hi - lo) * torch.rand(n, generator=generator)) * size
    # Positions: both redrawn, all images at once, until the two objects are apart.
    cx_t, cy_t, cx_d, cy_d = (torch.zeros(n) for _ in range(4))
    pending = torch.ones(n, dtype=torch.bool)
    for _ in range(256):
        k = int(pending.sum())
        if k == 0:
            break
        for c, r in ((cx_t, r_t), (cy_t, r_t), (cx_d, r_d), (cy_d, r_d)):
            c[pending] = r[pending] + (size - 2 * r[pending]) * torch.rand(k, generator=generator)
        apart = (cx_d - cx_t) ** 2 + (cy_d - cy_t) ** 2 > (1.15 * (r_t + r_d)) ** 2
        pending &= ~apart
    if pending.any():
        raise RuntimeError("could not place the distractor apart from the target")
    labels = torch.randint(0, len(SHAPES), (n,), generator=generator)
    target = shape_masks(labels, cx_t, cy_t, r_t, size)
    distractor = ring_masks(cx_d, cy_d, r_d, size)
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
