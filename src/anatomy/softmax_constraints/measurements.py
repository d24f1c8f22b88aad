"""What softmax constrains: the section's measurements by name (``MEASUREMENTS``) for the
generic rule ``measure_<name>``, in the one measurement protocol
(:mod:`anatomy.core.measurement`): each takes ``(device, settings, seed)`` (the device is its
subject: it builds its own inputs), imports the modules it uses inside its body (its rule
depends on those alone) and returns its tidy table as ``Measured``."""

from __future__ import annotations

from anatomy.core.measurement import Measured, bench, by_name
from anatomy.softmax_constraints.settings import Gap, Properties, Sharpness


def softmax_sharpness(device: str, s: Sharpness, seed: int) -> Measured:
    from anatomy.core import operators
    from anatomy.softmax_constraints import measures as sc

    ns = [2**k for k in range(s.n_min_log2, s.n_max_log2 + 1)]
    names = list(operators.logit_normalizers())
    return Measured(sc.sharpness_sweep(names, ns, s.gap, s.noise_stds, s.trials, seed, device))


def softmax_gap(device: str, s: Gap, seed: int) -> Measured:
    from anatomy.core import operators
    from anatomy.softmax_constraints import measures as sc

    steps = int(round((s.gap_max - s.gap_min) / s.gap_step))
    gaps = [s.gap_min + k * s.gap_step for k in range(steps + 1)]
    names = list(operators.logit_normalizers())
    return Measured(sc.gap_sweep(names, s.ns, gaps, s.noise_stds, s.trials, seed, device))


def softmax_properties(device: str, s: Properties, seed: int) -> Measured:
    from anatomy.core import operators
    from anatomy.softmax_constraints import measures as sc

    return Measured(sc.structural_properties(operators.names(), s.n, s.d, s.trials, seed))


load = bench  # the subject of these measurements is the device they run on

MEASUREMENTS = by_name(softmax_sharpness, softmax_gap, softmax_properties)
