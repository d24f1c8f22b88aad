"""Every measurement a run rule can make, by name: ``settings -> tidy table``.

A run rule names its measurement in ``params.measurement``; ``workflow/scripts/run_measurement.py``
looks it up here, so a new measurement is one function and one entry, with no new script.
Each function takes the experiment's settings block, the seed and the device, and returns a
long-format table (one row per measurement). Each imports the library modules it uses
itself: a measurement's rule depends on those alone (``anatomy.pipeline.dependencies``), and its job
imports nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def _powers_of_two(lo: int, hi: int) -> list[int]:
    return [2**k for k in range(lo, hi + 1)]


def softmax_sharpness(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.core import operators
    from anatomy.softmax_constraints import measures as sc

    ns = _powers_of_two(s["n_min_log2"], s["n_max_log2"])
    names = list(operators.logit_normalizers())
    return sc.sharpness_sweep(names, ns, s["gap"], s["noise_stds"], s["trials"], seed, device)


def softmax_gap(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.core import operators
    from anatomy.softmax_constraints import measures as sc

    steps = int(round((s["gap_max"] - s["gap_min"]) / s["gap_step"]))
    gaps = [s["gap_min"] + k * s["gap_step"] for k in range(steps + 1)]
    names = list(operators.logit_normalizers())
    return sc.gap_sweep(names, s["ns"], gaps, s["noise_stds"], s["trials"], seed, device)


def softmax_properties(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.core import operators
    from anatomy.softmax_constraints import measures as sc

    return sc.structural_properties(operators.names(), s["n"], s["d"], s["trials"], seed)


def parity_construction(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.expressivity import parity

    rows = []
    for n in s["lengths"]:
        for layer_norm in (False, True):
            # The plain construction reads y itself; the layer-norm fix needs an output weight.
            scale = s["output_scale"] if layer_norm else 1.0
            out = parity.evaluate(n, s["samples"], seed + n, layer_norm, scale)
            rows.append({"n": n, "layer_norm": layer_norm, **out})
    return pd.DataFrame(rows)


def rank_collapse_depth(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.core import operators
    from anatomy.expressivity import rank_collapse

    return rank_collapse.depth_sweep(
        s["n"], s["d"], s["depth"], rank_collapse.VARIANTS, operators.names(), s["trials"], seed
    )


def rank_collapse_scale(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.core import operators
    from anatomy.expressivity import rank_collapse

    return rank_collapse.scale_sweep(
        s["n"],
        s["d"],
        s["depth"],
        s["scales"],
        rank_collapse.SCALE_VARIANTS,
        operators.names(),
        s["trials"],
        seed,
    )


def rasp_reverse(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.core import operators
    from anatomy.expressivity import rasp

    return rasp.length_sweep(operators.names(), s["ns"], s["beta"], s["vocab"], s["samples"], seed)


def lipschitz_scale(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.core import operators
    from anatomy.expressivity import lipschitz

    scales = [
        float(x)
        for x in np.logspace(
            np.log2(s["scale_min"]), np.log2(s["scale_max"]), s["num_scales"], base=2
        )
    ]
    return lipschitz.scale_sweep(operators.names(), scales, s["n"], s["d"], s["trials"], seed)


def flip_sensitivity(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.core import operators
    from anatomy.expressivity import sensitivity

    ns = _powers_of_two(s["n_min_log2"], s["n_max_log2"])
    return sensitivity.length_sweep(operators.names(), ns, s["d"], s["trials"], seed)


def hopfield_beta(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.expressivity import hopfield

    betas = np.logspace(np.log10(s["beta_min"]), np.log10(s["beta_max"]), s["num_betas"])
    return hopfield.beta_sweep(s["num_patterns"], s["d"], betas, s["noise"], s["trials"], seed)


# ---- Layer B: equivalent forms -----------------------------------------------------------------


def kernel_mse(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.equivalent_forms import linear_kernels

    ms = _powers_of_two(s["m_min_log2"], s["m_max_log2"])
    return linear_kernels.mse_sweep(s["d"], s["radius"], s["pairs"], s["draws"], ms, seed)


def attention_error(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.equivalent_forms import linear_kernels

    return linear_kernels.attention_error_sweep(
        s["n"], s["d"], s["features"], s["betas"], s["draws"], seed
    )


def kernel_spikiness(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.core import operators
    from anatomy.equivalent_forms import linear_kernels

    return linear_kernels.spikiness_table(operators.names(), s["n"], s["d"], s["trials"], seed)


def kernel_capacity(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.equivalent_forms import linear_kernels

    return linear_kernels.capacity_sweep(s["d"], s["pairs"], s["features"], s["trials"], seed)


def attention_speed(s: dict, seed: int, device: str) -> pd.DataFrame:
    import torch

    from anatomy.equivalent_forms import speed

    return speed.speed_sweep(s, torch.get_num_threads(), device)


def decoding_speed(s: dict, seed: int, device: str) -> pd.DataFrame:
    import torch

    from anatomy.equivalent_forms import speed

    return speed.decoding_sweep(s, torch.get_num_threads(), device)


def equivalences(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.equivalent_forms import message_passing

    checks = message_passing.equivalence_checks(s["n"], s["d"], s["chunk"], seed)
    rankings = message_passing.static_rankings(s["n"], s["d"], seed)
    ranking_rows = [
        {
            "check": f"{r['attention']}: queries ranking keys alike",
            "value": r["same_key_ranking"],
            "tolerance": float("nan"),
            "holds": True,
        }
        for r in rankings
    ]
    return pd.DataFrame(checks + ranking_rows)


def conv_alpha(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.equivalent_forms import message_passing

    return message_passing.conv_sweep(
        s["conv_size"], s["conv_kernel"], s["conv_channels"], s["alphas"], seed
    )


MEASUREMENTS: dict[str, Callable[[dict, int, str], pd.DataFrame]] = {
    f.__name__: f
    for f in (
        softmax_sharpness,
        softmax_gap,
        softmax_properties,
        parity_construction,
        rank_collapse_depth,
        rank_collapse_scale,
        rasp_reverse,
        lipschitz_scale,
        flip_sensitivity,
        hopfield_beta,
        kernel_mse,
        attention_error,
        kernel_spikiness,
        kernel_capacity,
        attention_speed,
        decoding_speed,
        equivalences,
        conv_alpha,
    )
}
