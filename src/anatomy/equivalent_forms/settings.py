"""Equivalent forms: each measurement's block of the config's ``equivalent_forms`` as a frozen
dataclass, made by the measurement protocol from the block the job receives (the measurement's
settings annotation; :func:`anatomy.core.measurement.settings_class`). Lists become tuples; an
unknown key is refused by name. (``recall`` and ``adjacency`` are read by the zoo's
checkpoints' rules, not by a measurement.)"""

from __future__ import annotations

from dataclasses import dataclass

from anatomy.core.settings import Typed


@dataclass(frozen=True)
class Features(Typed):
    """Random-feature estimates of the softmax kernel: ``2**m_min_log2`` ... ``2**m_max_log2``
    features, ``pairs`` query-key pairs of norm ``radius`` (after ``d**-1/4``), ``draws``
    feature draws each."""

    label = "equivalent_forms.features"
    d: int
    radius: float
    pairs: int
    draws: int
    m_min_log2: int
    m_max_log2: int


@dataclass(frozen=True)
class AttentionError(Typed):
    """Performer's attention error on ``n`` tokens at each feature count and inverse
    temperature."""

    label = "equivalent_forms.attention_error"
    n: int
    d: int
    features: tuple[int, ...]
    betas: tuple[float, ...]
    draws: int


@dataclass(frozen=True)
class Spikiness(Typed):
    """How peaked each operator's rows are on ``n`` tokens of width ``d``."""

    label = "equivalent_forms.spikiness"
    n: int
    d: int
    trials: int


@dataclass(frozen=True)
class Capacity(Typed):
    """Associative recall from a linear memory: ``pairs`` stored at each feature count."""

    label = "equivalent_forms.capacity"
    d: int
    pairs: tuple[int, ...]
    features: tuple[int, ...]
    trials: int


@dataclass(frozen=True)
class Speed(Typed):
    """Wall time of each form at ``2**n_min_log2`` ... ``2**n_max_log2`` tokens (the chunked
    scan's ``chunk``, ``features`` random features), each timed for ``min_run_time`` s."""

    label = "equivalent_forms.speed"
    n_min_log2: int
    n_max_log2: int
    d: int
    features: int
    chunk: int
    min_run_time: float


@dataclass(frozen=True)
class Equivalences(Typed):
    """The forms' agreement on ``n`` tokens (the chunked scan's ``chunk``), and the
    convolution read as attention: a ``conv_size`` grid, a ``conv_kernel`` kernel,
    ``conv_channels`` channels, at each sharpness of ``alphas``."""

    label = "equivalent_forms.equivalences"
    n: int
    d: int
    chunk: int
    conv_size: int
    conv_kernel: int
    conv_channels: int
    alphas: tuple[float, ...]
