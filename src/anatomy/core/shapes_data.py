"""Compositional two-object images with known ground truth, for the diffusion experiments.

Each image holds two objects (a colour and a shape each) in a stated spatial relation, with a
caption ("a red circle left of a blue square") and a mask per object. Generation is
vectorized: a batch of images is a few tensor operations, no Python loop over pixels. A
colour checker reads the colour inside each object's region, so binding (each colour on its
own object) is told apart from colour presence and from a position swap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

COLOURS = {  # name -> RGB in [0, 1]; far apart so the checker is unambiguous
    "red": (0.9, 0.1, 0.1),
    "green": (0.1, 0.8, 0.1),
    "blue": (0.1, 0.2, 0.9),
    "yellow": (0.95, 0.85, 0.1),
    "magenta": (0.85, 0.1, 0.85),
    "cyan": (0.1, 0.85, 0.85),
}
SHAPES = ("circle", "square", "triangle")
RELATIONS = ("left of", "right of", "above", "below")
BACKGROUND = (0.5, 0.5, 0.5)


@dataclass(frozen=True)
class Scenes:
    """``images (N, 3, H, W)`` in [-1, 1]; ``masks (N, 2, H, W)`` bool; ``attributes (N, 5)``
    long: colour 1, shape 1, relation, colour 2, shape 2 (indices into the tuples above)."""

    images: Tensor
    masks: Tensor
    attributes: Tensor
    captions: list[str]


def caption(attributes: Tensor, colours=tuple(COLOURS)) -> str:
    c1, s1, r, c2, s2 = (int(a) for a in attributes)
    return f"a {colours[c1]} {SHAPES[s1]} {RELATIONS[r]} a {colours[c2]} {SHAPES[s2]}"


def caption_lines(text: str) -> str:
    """A caption on three short lines for figure titles: object, relation, object."""
    words = text.split()
    return f"{words[1]} {words[2]}\n{' '.join(words[3:-3])}\n{words[-2]} {words[-1]}"


def shape_masks(shape: Tensor, cx: Tensor, cy: Tensor, radius: Tensor, size: int) -> Tensor:
    """Masks ``(N, H, W)`` of one shape per image, centred at (cx, cy) in pixels."""
    ys, xs = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    dx = xs - cx.view(-1, 1, 1)
    dy = ys - cy.view(-1, 1, 1)
    r = radius.view(-1, 1, 1)
    circle = dx**2 + dy**2 <= r**2
    square = (dx.abs() <= r * 0.85) & (dy.abs() <= r * 0.85)
    triangle = (dy <= r * 0.8) & (dy >= -r) & (dx.abs() <= (dy + r) * 0.55)
    which = shape.view(-1, 1, 1)
    return torch.where(which == 0, circle, torch.where(which == 1, square, triangle))


def sample_attributes(
    n: int,
    generator,
    colours: int = len(COLOURS),
    shapes: int = len(SHAPES),
    relations: int = len(RELATIONS),
) -> Tensor:
    """Random (colour, shape, relation, colour, shape) with two different colours, from the
    first ``colours``, ``shapes`` and ``relations`` of the tuples above."""
    c1 = torch.randint(0, colours, (n,), generator=generator)
    c2 = (c1 + torch.randint(1, colours, (n,), generator=generator)) % colours
    s1, s2 = (torch.randint(0, shapes, (n,), generator=generator) for _ in range(2))
    rel = torch.randint(0, relations, (n,), generator=generator)
    return torch.stack([c1, s1, rel, c2, s2], dim=1)


def render(
    attributes: Tensor,
    size: int,
    generator,
    colours=tuple(COLOURS),
    radius: tuple[float, float] = (0.14, 0.19),
    jitter: float = 1.0,
) -> Scenes:
    """Draw the scenes the attributes describe; object 1 stands in the stated relation to 2.
    Object radii are drawn uniformly from ``radius`` (fractions of the image size); each
    object's centre varies over ``jitter`` of the room its half leaves (0: a fixed slot,
    1: anywhere in its half)."""
    n = attributes.shape[0]
    c1, s1, rel, c2, s2 = attributes.T
    low, high = radius
    radius = size * (low + (high - low) * torch.rand(n, generator=generator))
    margin = radius + 1
    # Object 1 on the side the relation names, object 2 on the other, jittered within halves.
    jitter = 0.5 + jitter * (torch.rand(4, n, generator=generator) - 0.5)
    near = margin + jitter[0] * (size / 2 - 2 * margin).clamp_min(0)
    far = size / 2 + margin + jitter[1] * (size / 2 - 2 * margin).clamp_min(0) - 1
    across1 = margin + jitter[2] * (size - 2 * margin)
    across2 = margin + jitter[3] * (size - 2 * margin)
    first_small = (rel == 0) | (rel == 2)  # left of / above: object 1 has the smaller coordinate
    a1, a2 = torch.where(first_small, near, far), torch.where(first_small, far, near)
    horizontal = rel < 2
    x1, y1 = torch.where(horizontal, a1, across1), torch.where(horizontal, across1, a1)
    x2, y2 = torch.where(horizontal, a2, across2), torch.where(horizontal, across2, a2)
    m1 = shape_masks(s1, x1, y1, radius, size)
    m2 = shape_masks(s2, x2, y2, radius, size) & ~m1  # object 1 in front where they touch

    palette = torch.tensor([COLOURS[c] for c in colours])  # (C, 3)
    image = torch.tensor(BACKGROUND).view(1, 3, 1, 1).expand(n, 3, size, size).clone()
    for mask, colour in ((m2, c2), (m1, c1)):
        image = torch.where(mask.unsqueeze(1), palette[colour].view(n, 3, 1, 1), image)
    captions = [caption(a, colours) for a in attributes]
    return Scenes(image * 2 - 1, torch.stack([m1, m2], dim=1), attributes, captions)


def read_colours(images: Tensor, masks: Tensor, colours=tuple(COLOURS)) -> Tensor:
    """The palette colour nearest to the mean colour inside each mask, ``(N, 2)``; -1 where a
    mask is empty."""
    palette = torch.tensor([COLOURS[c] for c in colours]) * 2 - 1  # (C, 3) in [-1, 1]
    weights = masks.float()  # (N, 2, H, W)
    area = weights.sum((-1, -2))  # (N, 2)
    mean = torch.einsum("nkhw,nchw->nkc", weights, images) / area.clamp_min(1).unsqueeze(-1)
    nearest = torch.cdist(mean, palette.unsqueeze(0).expand(len(mean), -1, -1)).argmin(-1)
    return torch.where(area > 0, nearest, torch.full_like(nearest, -1))


def binding_accuracy(images: Tensor, masks: Tensor, attributes: Tensor) -> dict[str, float]:
    """Fractions of images where both colours sit on their own objects (binding), where both
    are present but swapped (a binding error), and where each object has its colour."""
    read = read_colours(images, masks)
    want = attributes[:, [0, 3]]
    swapped = want.flip(1)
    return {
        "binding": float((read == want).all(1).float().mean()),
        "swapped": float((read == swapped).all(1).float().mean()),
        "object_colour": float((read == want).float().mean()),
    }


# Area of each shape in units of radius^2 and how far its centroid sits below the centre
# (in radii): what a template needs to be laid over a mask of unknown size and position.
_AREA = (torch.pi, 1.7**2, 0.55 * 1.8**2)
_CENTROID_DROP = (0.0, 0.0, 0.2)


def palette_labels(images: Tensor, colours=tuple(COLOURS)) -> Tensor:
    """Per pixel, the nearest of the palette colours (``0 .. C-1``) or the background
    (``C``): ``(N, H, W)`` long."""
    palette = torch.tensor([COLOURS[c] for c in colours] + [BACKGROUND]) * 2 - 1
    pixels = images.clamp(-1, 1).permute(0, 2, 3, 1).unsqueeze(-2)  # (N, H, W, 1, 3)
    return ((pixels - palette) ** 2).sum(-1).argmin(-1)


def classify_shapes(masks: Tensor, shapes: int = len(SHAPES), min_area: int = 4) -> Tensor:
    """The shape whose template best overlaps each mask ``(N, H, W)``: the template is laid
    at the mask's centroid with the radius its area implies (a few nearby radii and
    half-pixel offsets tried); IoU decides. ``-1`` where the mask has under ``min_area``
    pixels."""
    n, size = masks.shape[0], masks.shape[-1]
    ys, xs = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    m = masks.float()
    area = m.sum((-1, -2))
    cx = (m * xs).sum((-1, -2)) / area.clamp_min(1)
    cy = (m * ys).sum((-1, -2)) / area.clamp_min(1)
    best = torch.full((n, shapes), -1.0)
    for s in range(shapes):
        base = (area / _AREA[s]).sqrt()
        for scale in (0.9, 1.0, 1.1):
            r = base * scale
            for ox in (-0.5, 0.0, 0.5):
                for oy in (-0.5, 0.0, 0.5):
                    centre_y = cy - _CENTROID_DROP[s] * r + oy
                    t = shape_masks(torch.full((n,), s), cx + ox, centre_y, r, size)
                    inter = (t & masks).sum((-1, -2)).float()
                    union = (t | masks).sum((-1, -2)).float().clamp_min(1)
                    best[:, s] = torch.maximum(best[:, s], inter / union)
    return torch.where(area >= min_area, best.argmax(-1), torch.full((n,), -1))


def read_samples(
    images: Tensor,
    attributes: Tensor,
    colours=tuple(COLOURS),
    shapes: int = len(SHAPES),
    min_area: int = 4,
) -> dict[str, Tensor]:
    """Read generated images against their prompts, with no ground-truth masks: each named
    colour's pixels form that object; its shape is read by :func:`classify_shapes`. Per
    image (bool): ``present`` (both colours drawn), ``binding`` (each colour on the shape
    its noun phrase names), ``swapped`` (each colour on the other phrase's shape: a binding
    error), ``position`` (the first object's centroid on the stated side of the second's)."""
    labels = palette_labels(images, colours)
    c1, s1, rel, c2, s2 = attributes.T
    idx = torch.arange(len(images))
    m1 = labels == c1.view(-1, 1, 1)
    m2 = labels == c2.view(-1, 1, 1)
    read1 = classify_shapes(m1, shapes, min_area)
    read2 = classify_shapes(m2, shapes, min_area)
    present = (read1 >= 0) & (read2 >= 0)
    size = images.shape[-1]
    ys, xs = torch.meshgrid(torch.arange(size) * 1.0, torch.arange(size) * 1.0, indexing="ij")

    def centroid(m):
        area = m.sum((-1, -2)).clamp_min(1)
        return (m * xs).sum((-1, -2)) / area, (m * ys).sum((-1, -2)) / area

    (x1, y1), (x2, y2) = centroid(m1.float()), centroid(m2.float())
    side = torch.stack([x1 < x2, x1 > x2, y1 < y2, y1 > y2], dim=1)[idx, rel]
    return {
        "present": present,
        "binding": present & (read1 == s1) & (read2 == s2),
        "swapped": present & (read1 == s2) & (read2 == s1) & (s1 != s2),
        "position": present & side,
    }


class WordTokenizer:
    """A word-level tokenizer over the captions' closed vocabulary (pad 0, bos 1, eos 2)."""

    SPECIAL = ("<pad>", "<bos>", "<eos>")

    def __init__(self, words):
        self.vocab = list(self.SPECIAL) + sorted(set(words) - set(self.SPECIAL))
        self.index = {w: i for i, w in enumerate(self.vocab)}

    @classmethod
    def for_captions(cls, colours=tuple(COLOURS)) -> WordTokenizer:
        words = {"a", *colours, *SHAPES, *" ".join(RELATIONS).split()}
        return cls(words)

    def encode(self, captions: list[str], length: int) -> Tensor:
        """``(N, length)`` ids: bos, words, eos, then padding."""
        out = torch.zeros(len(captions), length, dtype=torch.long)
        for row, text in enumerate(captions):
            ids = [1] + [self.index[w] for w in text.split()] + [2]
            if len(ids) > length:
                raise ValueError(f"caption {text!r} needs {len(ids)} tokens, more than {length}")
            out[row, : len(ids)] = torch.tensor(ids)
        return out

    def save(self, folder: str | Path) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, "vocab.json").write_text(json.dumps(self.vocab, indent=0))

    @classmethod
    def load(cls, folder: str | Path) -> WordTokenizer:
        return cls(json.loads(Path(folder, "vocab.json").read_text()))
