"""What attention can express: each measurement's block of the config's ``expressivity`` as a
frozen dataclass, made by the measurement protocol from the block the job receives (the
measurement's settings annotation; :func:`anatomy.core.measurement.settings_class`). Lists become
tuples; an unknown key is refused by name."""

from __future__ import annotations

from dataclasses import dataclass

from anatomy.core.settings import Typed


@dataclass(frozen=True)
class Parity(Typed):
    """Hahn's PARITY construction at each length, on ``samples`` strings, the layer-normed
    output scaled by ``output_scale``."""

    label = "expressivity.parity"
    lengths: tuple[int, ...]
    samples: int
    output_scale: float


@dataclass(frozen=True)
class RankCollapse(Typed):
    """``depth`` attention layers on ``n`` tokens of width ``d``."""

    label = "expressivity.rank_collapse"
    n: int
    d: int
    depth: int
    trials: int


@dataclass(frozen=True)
class RankCollapseScale(Typed):
    """The rank-collapse depth sweep at each input scale of ``scales``."""

    label = "expressivity.rank_collapse_scale"
    n: int
    d: int
    depth: int
    scales: tuple[float, ...]
    trials: int


@dataclass(frozen=True)
class Rasp(Typed):
    """The compiled reverse program at each length of ``ns``: the selected pair's score
    ``beta``, a vocabulary of ``vocab`` tokens."""

    label = "expressivity.rasp"
    ns: tuple[int, ...]
    beta: float
    vocab: int
    samples: int


@dataclass(frozen=True)
class Lipschitz(Typed):
    """The Jacobian norm at ``num_scales`` log-spaced scales from ``scale_min`` to
    ``scale_max``."""

    label = "expressivity.lipschitz"
    n: int
    d: int
    scale_min: float
    scale_max: float
    num_scales: int
    trials: int


@dataclass(frozen=True)
class Sensitivity(Typed):
    """One flipped token's effect at lengths ``2**n_min_log2`` ... ``2**n_max_log2``."""

    label = "expressivity.sensitivity"
    n_min_log2: int
    n_max_log2: int
    d: int
    trials: int


@dataclass(frozen=True)
class Hopfield(Typed):
    """Retrieval of ``num_patterns`` stored patterns at ``num_betas`` log-spaced inverse
    temperatures from ``beta_min`` to ``beta_max``, from queries with ``noise``."""

    label = "expressivity.hopfield"
    num_patterns: tuple[int, ...]
    d: int
    beta_min: float
    beta_max: float
    num_betas: int
    noise: float
    trials: int
