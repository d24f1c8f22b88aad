"""What softmax constrains: each measurement's block of the config's ``softmax_constraints`` as a
frozen dataclass, made by the measurement protocol from the block the job receives (the
measurement's settings annotation; :func:`anatomy.core.measurement.settings_class`). Lists become
tuples; an unknown key is refused by name."""

from __future__ import annotations

from dataclasses import dataclass

from anatomy.core.settings import Typed


@dataclass(frozen=True)
class Sharpness(Typed):
    """Rows of ``2**n_min_log2`` ... ``2**n_max_log2`` logits whose top one leads by ``gap``,
    under each noise level, ``trials`` rows each."""

    label = "softmax_constraints.sharpness"
    n_min_log2: int
    n_max_log2: int
    gap: float
    noise_stds: tuple[float, ...]
    trials: int


@dataclass(frozen=True)
class Gap(Typed):
    """The lead of the top logit swept from ``gap_min`` to ``gap_max`` in ``gap_step`` at each
    row length of ``ns``."""

    label = "softmax_constraints.gap"
    ns: tuple[int, ...]
    gap_min: float
    gap_max: float
    gap_step: float
    noise_stds: tuple[float, ...]
    trials: int


@dataclass(frozen=True)
class Properties(Typed):
    """The structural properties of every operator on ``n`` tokens of width ``d``."""

    label = "softmax_constraints.properties"
    n: int
    d: int
    trials: int
