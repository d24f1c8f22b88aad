"""The diffusion experiment's data: scenes drawn from attribute rows, and the split of the
(colour, shape, relation, colour, shape) combinations into those trained on and those held out,
with the prompts each analysis draws from either side."""

from __future__ import annotations

import torch
from torch import Tensor

from anatomy.core import shapes_data as sd
from anatomy.diffusion.settings import Data


def palette(data: Data) -> tuple[str, ...]:
    return tuple(sd.COLOURS)[: data.colours]


def render(attributes: Tensor, data: Data, generator) -> sd.Scenes:
    """The scenes ``attributes`` describe, drawn as the ``data`` settings say."""
    return sd.render(
        attributes, data.size, generator, palette(data), tuple(data.radius), data.jitter
    )


def draw_attributes(n: int, generator, data: Data, exclude: set | None = None) -> Tensor:
    """``n`` attribute rows from the configured attributes, none of them in ``exclude``."""
    rows = []
    while sum(len(r) for r in rows) < n:
        a = sd.sample_attributes(2 * n, generator, data.colours, data.shapes, data.relations)
        if exclude:
            keep = torch.tensor([tuple(r.tolist()) not in exclude for r in a])
            a = a[keep]
        rows.append(a)
    return torch.cat(rows)[:n]


def all_combinations(data: Data) -> list[tuple[int, ...]]:
    c, s, r = data.colours, data.shapes, data.relations
    return [
        (c1, s1, rel, c2, s2)
        for c1 in range(c)
        for s1 in range(s)
        for rel in range(r)
        for c2 in range(c)
        for s2 in range(s)
        if c1 != c2
    ]


def heldout_combinations(data: Data, seed: int) -> set[tuple[int, ...]]:
    """A fixed share (``data.holdout``) of the (colour, shape, relation, colour, shape)
    combinations, with two different shapes, never drawn in training."""
    candidates = [c for c in all_combinations(data) if c[1] != c[4]]
    g = torch.Generator().manual_seed(seed + 7919)
    order = torch.randperm(len(candidates), generator=g).tolist()
    count = max(1, round(data.holdout * len(candidates)))
    return {candidates[i] for i in order[:count]}


def evaluation_prompts(data: Data, seed: int, n: int) -> Tensor:
    """``n`` held-out attribute rows (cycled in a seeded order)."""
    held = sorted(heldout_combinations(data, seed))
    g = torch.Generator().manual_seed(seed + 104729)
    order = torch.randperm(len(held), generator=g).tolist()
    return torch.tensor([held[order[i % len(held)]] for i in range(n)])


def validation_prompts(data: Data, seed: int, n: int) -> Tensor:
    """``n`` attribute rows of the training combinations (never a held-out one), drawn with
    their own seed: the split on which sampling settings such as the guidance scale are read,
    so that no setting is chosen on the held-out test prompts."""
    g = torch.Generator().manual_seed(seed + 15485863)
    return draw_attributes(n, g, data, exclude=heldout_combinations(data, seed))
