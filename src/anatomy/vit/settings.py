"""The ViT experiment's settings (the config's ``vit`` block) as frozen dataclasses.

Each job turns the part of the block it receives into a :class:`ViTSettings` once, at its
boundary (:meth:`ViTSettings.of`); the library's functions then take the fields they use (an
image side, an :class:`Architecture`, a :class:`Training`), never the block. A job receives only
the parts its rule passes (so that it reruns only when those change): the others are ``None``.
A key the block should not hold is refused there, by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from anatomy.core.settings import Typed


@dataclass(frozen=True)
class Data:
    """The generated images: ``size`` pixels a side, object radii in ``radius`` (shares of
    the side), pixel ``noise``, and how many ``train`` and ``evaluation`` images."""

    size: int
    radius: tuple[float, float]
    noise: float
    train: int
    evaluation: int


@dataclass(frozen=True)
class Architecture:
    """The tiny ViT: token width, blocks and heads."""

    embed_dim: int
    depth: int
    heads: int


@dataclass(frozen=True)
class Training:
    steps: int
    batch: int
    learning_rate: float
    warmup: int
    log_every: int


@dataclass(frozen=True)
class TokenSweep:
    """The patch sweep at a fixed token count: a ``grid x grid`` token grid on the experiment's
    images and on each of ``sizes`` (pixels a side)."""

    grid: int
    sizes: tuple[int, ...]


@dataclass(frozen=True)
class Analysis:
    """``share``: the mass a map's region holds; ``examples``: held-out images a figure draws;
    ``norm_factor``: a token is high-norm above this multiple of the median."""

    share: float
    examples: int
    norm_factor: float


@dataclass(frozen=True)
class Pretrained:
    """Pretrained timm ViTs (their names), the folder of their weights and of the images they
    are probed on, and at most ``limit`` images."""

    models: tuple[str, ...]
    weights: str
    images: str
    limit: int = 16


PARTS = {
    "data": Data,
    "model": Architecture,
    "training": Training,
    "token_sweep": TokenSweep,
    "analysis": Analysis,
    "pretrained": Pretrained,
}


@dataclass(frozen=True)
class ViTSettings(Typed):
    label = "vit"
    parts = PARTS

    seeds: tuple[int, ...] | None = None
    data: Data | None = None
    model: Architecture | None = None
    patch_sizes: tuple[int, ...] | None = None
    reference_patch: int | None = None
    contrast_operator: str | None = None
    registers: int | None = None
    token_sweep: TokenSweep | None = None
    training: Training | None = None
    analysis: Analysis | None = None
    pretrained: Pretrained | None = None
