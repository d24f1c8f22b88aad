"""What attention can express: the section's measurements by name (``MEASUREMENTS``) for the
generic rule ``measure_<name>``, in the one measurement protocol
(:mod:`anatomy.core.measurement`): each takes ``(device, settings, seed)`` (the device is its
subject: it builds its own inputs), imports the modules it uses inside its body (its rule
depends on those alone) and returns its tidy table as ``Measured``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from anatomy.core.measurement import Measured, bench, by_name
from anatomy.expressivity.settings import (
    Hopfield,
    Lipschitz,
    Parity,
    RankCollapse,
    RankCollapseScale,
    Rasp,
    Sensitivity,
)


def parity_construction(device: str, s: Parity, seed: int) -> Measured:
    from anatomy.expressivity import parity

    rows = []
    for n in s.lengths:
        for layer_norm in (False, True):
            # The plain construction reads y itself; the layer-norm fix needs an output weight.
            scale = s.output_scale if layer_norm else 1.0
            out = parity.evaluate(n, s.samples, seed + n, layer_norm, scale)
            rows.append({"n": n, "layer_norm": layer_norm, **out})
    return Measured(pd.DataFrame(rows))


def rank_collapse_depth(device: str, s: RankCollapse, seed: int) -> Measured:
    from anatomy.core import operators
    from anatomy.expressivity import rank_collapse

    return Measured(
        rank_collapse.depth_sweep(
            s.n, s.d, s.depth, rank_collapse.VARIANTS, operators.names(), s.trials, seed
        )
    )


def rank_collapse_scale(device: str, s: RankCollapseScale, seed: int) -> Measured:
    from anatomy.core import operators
    from anatomy.expressivity import rank_collapse

    return Measured(
        rank_collapse.scale_sweep(
            s.n,
            s.d,
            s.depth,
            s.scales,
            rank_collapse.SCALE_VARIANTS,
            operators.names(),
            s.trials,
            seed,
        )
    )


def rasp_reverse(device: str, s: Rasp, seed: int) -> Measured:
    from anatomy.core import operators
    from anatomy.expressivity import rasp

    return Measured(rasp.length_sweep(operators.names(), s.ns, s.beta, s.vocab, s.samples, seed))


def lipschitz_scale(device: str, s: Lipschitz, seed: int) -> Measured:
    from anatomy.core import operators
    from anatomy.expressivity import lipschitz

    scales = [
        float(x)
        for x in np.logspace(np.log2(s.scale_min), np.log2(s.scale_max), s.num_scales, base=2)
    ]
    return Measured(lipschitz.scale_sweep(operators.names(), scales, s.n, s.d, s.trials, seed))


def flip_sensitivity(device: str, s: Sensitivity, seed: int) -> Measured:
    from anatomy.core import operators
    from anatomy.expressivity import sensitivity

    ns = [2**k for k in range(s.n_min_log2, s.n_max_log2 + 1)]
    return Measured(sensitivity.length_sweep(operators.names(), ns, s.d, s.trials, seed))


def hopfield_beta(device: str, s: Hopfield, seed: int) -> Measured:
    from anatomy.expressivity import hopfield

    betas = np.logspace(np.log10(s.beta_min), np.log10(s.beta_max), s.num_betas)
    return Measured(hopfield.beta_sweep(s.num_patterns, s.d, betas, s.noise, s.trials, seed))


load = bench  # the subject of these measurements is the device they run on

MEASUREMENTS = by_name(
    parity_construction,
    rank_collapse_depth,
    rank_collapse_scale,
    rasp_reverse,
    lipschitz_scale,
    flip_sensitivity,
    hopfield_beta,
)
