"""Equivalent forms: the section's measurements by name (``MEASUREMENTS``) for the generic rule
``measure_<name>``, in the one measurement protocol (:mod:`anatomy.core.measurement`): each
takes ``(device, settings, seed)`` (the device is its subject: it builds its own inputs),
imports the modules it uses inside its body (its rule depends on those alone) and returns its
tidy table as ``Measured``."""

from __future__ import annotations

import pandas as pd

from anatomy.core.measurement import Measured, bench, by_name
from anatomy.equivalent_forms.settings import (
    AttentionError,
    Capacity,
    Equivalences,
    Features,
    Speed,
    Spikiness,
)


def kernel_mse(device: str, s: Features, seed: int) -> Measured:
    from anatomy.equivalent_forms import linear_kernels

    ms = [2**k for k in range(s.m_min_log2, s.m_max_log2 + 1)]
    return Measured(linear_kernels.mse_sweep(s.d, s.radius, s.pairs, s.draws, ms, seed))


def attention_error(device: str, s: AttentionError, seed: int) -> Measured:
    from anatomy.equivalent_forms import linear_kernels

    return Measured(
        linear_kernels.attention_error_sweep(s.n, s.d, s.features, s.betas, s.draws, seed)
    )


def kernel_spikiness(device: str, s: Spikiness, seed: int) -> Measured:
    from anatomy.core import operators
    from anatomy.equivalent_forms import linear_kernels

    return Measured(linear_kernels.spikiness_table(operators.names(), s.n, s.d, s.trials, seed))


def kernel_capacity(device: str, s: Capacity, seed: int) -> Measured:
    from anatomy.equivalent_forms import linear_kernels

    return Measured(linear_kernels.capacity_sweep(s.d, s.pairs, s.features, s.trials, seed))


def attention_speed(device: str, s: Speed, seed: int) -> Measured:
    import torch

    from anatomy.equivalent_forms import speed

    return Measured(speed.speed_sweep(s, torch.get_num_threads(), device))


def decoding_speed(device: str, s: Speed, seed: int) -> Measured:
    import torch

    from anatomy.equivalent_forms import speed

    return Measured(speed.decoding_sweep(s, torch.get_num_threads(), device))


def equivalences(device: str, s: Equivalences, seed: int) -> Measured:
    from anatomy.equivalent_forms import message_passing

    checks = message_passing.equivalence_checks(s.n, s.d, s.chunk, seed)
    rankings = message_passing.static_rankings(s.n, s.d, seed)
    ranking_rows = [
        {
            "check": f"{r['attention']}: queries ranking keys alike",
            "value": r["same_key_ranking"],
            "tolerance": float("nan"),
            "holds": True,
        }
        for r in rankings
    ]
    return Measured(pd.DataFrame(checks + ranking_rows))


def conv_alpha(device: str, s: Equivalences, seed: int) -> Measured:
    from anatomy.equivalent_forms import message_passing

    return Measured(
        message_passing.conv_sweep(s.conv_size, s.conv_kernel, s.conv_channels, s.alphas, seed)
    )


load = bench  # the subject of these measurements is the device they run on

MEASUREMENTS = by_name(
    kernel_mse,
    attention_error,
    kernel_spikiness,
    kernel_capacity,
    attention_speed,
    decoding_speed,
    equivalences,
    conv_alpha,
)
