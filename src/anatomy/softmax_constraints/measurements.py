"""What softmax constrains: the section's measurements by name (``MEASUREMENTS``) for the generic
rule ``measure_<name>``. Each takes ``(settings, seed, device)``, imports the modules it uses
inside its body (its rule depends on those alone) and returns a tidy table."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd


def softmax_sharpness(s: dict, seed: int, device: str) -> pd.DataFrame:
    from anatomy.core import operators
    from anatomy.softmax_constraints import measures as sc

    ns = [2**k for k in range(s["n_min_log2"], s["n_max_log2"] + 1)]
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


MEASUREMENTS: dict[str, Callable[[dict, int, str], pd.DataFrame]] = {
    f.__name__: f
    for f in (
        softmax_sharpness,
        softmax_gap,
        softmax_properties,
    )
}
