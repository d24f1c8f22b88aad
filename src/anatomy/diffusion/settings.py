"""The diffusion experiment's settings (the config's ``diffusion`` block) as frozen dataclasses.

Each job turns the part of the block it receives into a :class:`DiffusionSettings` once, at its
boundary (:meth:`DiffusionSettings.of`, in its scripts and, for its measurements, by the
measurement protocol, from their settings annotation); the library's functions then take the
fields they use (the scenes' :class:`Data`, an :class:`Architecture`, a :class:`Training`, a
:class:`Sampling`, an :class:`Analysis`), never the block. A job receives only the parts its
rule passes (training rules: data, model, training; the measurements and the variant comparison:
data, sampling, analysis; the tables of the layer map: analysis; the macros: the whole block):
the others are ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

from anatomy.core.settings import Typed


@dataclass(frozen=True)
class Data:
    """The generated scenes: ``size`` pixels a side, the first ``colours`` colours and
    ``shapes`` shapes, ``relations`` relation words, object radii in ``radius`` (shares of the
    side), how far objects stray from their slots (``jitter``), and the share of two-shape
    combinations held out of training (``holdout``)."""

    size: int
    colours: int
    shapes: int
    relations: int
    radius: tuple[float, float]
    jitter: float
    holdout: float


@dataclass(frozen=True)
class Architecture:
    """The text encoder (``text_width``, ``text_layers``) and the UNet: ``channels`` per level,
    transformer blocks where ``attention`` is true, ``heads`` and ``layers_per_block``."""

    text_width: int
    text_layers: int
    channels: tuple[int, ...]
    attention: tuple[bool, ...]
    heads: int
    layers_per_block: int


@dataclass(frozen=True)
class Training:
    """``steps`` for the base model, ``variant_steps`` for the variants (and the base model's
    snapshot they are compared with); EMA ``ema`` decay, caption dropout for guidance and the
    UNet's ``prediction`` target."""

    steps: int
    variant_steps: int
    batch: int
    learning_rate: float
    warmup: int
    ema: float
    caption_dropout: float
    prediction: str
    log_every: int


@dataclass(frozen=True)
class Sampling:
    """DDIM ``steps`` and the classifier-free ``guidance`` scale."""

    steps: int
    guidance: float


@dataclass(frozen=True)
class Analysis:
    """Prompts per measurement (``prompts`` for binding, ``grid`` drawn, and the ablation,
    sweep, map and swap prompts), the swept guidance scales, timesteps, windows (``splits``)
    and injection shares (``taus``), the map ``threshold`` and the layer map's two thresholds."""

    prompts: int
    grid: int
    ablation_prompts: int
    sweep_prompts: int
    map_prompts: int
    swap_prompts: int
    guidance_scales: tuple[float, ...]
    timesteps: tuple[int, ...]
    threshold: float
    splits: tuple[float, ...]
    taus: tuple[float, ...]
    margin_threshold: float
    effect_threshold: float


PARTS = {
    "data": Data,
    "model": Architecture,
    "training": Training,
    "sampling": Sampling,
    "analysis": Analysis,
}


@dataclass(frozen=True)
class DiffusionSettings(Typed):
    label = "diffusion"
    parts = PARTS

    pretrained: str | None = None
    seeds: tuple[int, ...] | None = None
    variants: tuple[str, ...] | None = None
    layer_map_variants: tuple[str, ...] | None = None
    data: Data | None = None
    model: Architecture | None = None
    training: Training | None = None
    sampling: Sampling | None = None
    analysis: Analysis | None = None
