"""Intervals over training seeds: the mean and the half-width of its Student-t 95% interval.

With three seeds a normal interval (1.96 standard errors) is too narrow by a factor of 2.2;
the t quantile with ``seeds - 1`` degrees of freedom is the one a reader expects. One seed
gives no interval (NaN), never a zero-width one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

# The 0.975 quantile of Student's t with 1..30 degrees of freedom (any statistics table).
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
_Z975 = 1.959964


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (exact to the table's
    three decimals up to 30; beyond, the first two terms of its expansion around the normal
    quantile, within 0.001)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, not {df}")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_ci(values: Iterable[float]) -> tuple[float, float]:
    """``(mean, half-width)`` of the 95% t interval of the mean; half-width NaN for one value."""
    xs = [float(v) for v in values]
    if not xs:
        return math.nan, math.nan
    mean = sum(xs) / len(xs)
    if len(xs) < 2:
        return mean, math.nan
    var = sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)
    return mean, t975(len(xs) - 1) * math.sqrt(var / len(xs))


def wilson(rate: float, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval ``(low, high)`` of a proportion ``rate`` seen in ``n``
    independent trials (Wilson 1927); it stays inside [0, 1] and is not zero-width at 0 or 1."""
    if n < 1:
        return math.nan, math.nan
    z2 = _Z975**2
    centre = (rate + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z975 * math.sqrt(rate * (1 - rate) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return centre - half, centre + half


def against_chance(
    rate: float, n: int, chance: float, above: str, level: str, below: str, unresolved: str = ""
) -> str:
    """The verdict a proportion's Wilson interval supports against a chance level fixed before
    the run: entirely above it, containing it, or entirely below it; ``unresolved`` (or
    ``level`` when not given) without trials."""
    if n < 1:
        return unresolved or level
    low, high = wilson(rate, n)
    if low > chance:
        return above
    if high < chance:
        return below
    return level


def over_seeds(
    table: pd.DataFrame, by: Sequence[str], values: Sequence[str], seed: str = "seed"
) -> pd.DataFrame:
    """One row per group of ``by``: each of ``values`` averaged over the seeds, its interval
    half-width in ``<value>_ci``, and the number of seeds in ``seeds``. Rows keep the order in
    which their groups first appear. Within a seed, rows of one group are averaged first, so
    every seed counts once."""
    per_seed = table.groupby([*by, seed], sort=False, dropna=False)[list(values)].mean()
    rows = []
    for key, part in per_seed.groupby(level=list(range(len(by))), sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key, strict=True))
        for v in values:
            row[v], row[f"{v}_ci"] = mean_ci(part[v].dropna())
        row["seeds"] = len(part)
        rows.append(row)
    return pd.DataFrame(rows)


def seed_means(table: pd.DataFrame, seed: str = "seed") -> pd.DataFrame:
    """:func:`over_seeds` with the table's own identity: its text, integer and boolean
    columns say what a row is (model, layer, head, ...), its float columns what was measured."""
    keys = [c for c in table.columns if c != seed and not pd.api.types.is_float_dtype(table[c])]
    values = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    return over_seeds(table, keys, values, seed)


def bootstrap_interval(
    values: Sequence[float], draws: int = 4000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """The percentile bootstrap interval ``(low, high)`` of the mean of ``values`` (Efron
    1979): ``draws`` resamples with replacement, seeded, so a table is the same on every run.
    For paired data pass the per-item differences. NaN without values."""
    import torch

    x = torch.as_tensor([float(v) for v in values], dtype=torch.float64)
    if x.numel() == 0:
        return math.nan, math.nan
    g = torch.Generator().manual_seed(seed)
    index = torch.randint(0, x.numel(), (draws, x.numel()), generator=g)
    means = x[index].mean(1)
    tail = (1 - level) / 2
    low, high = torch.quantile(means, torch.tensor([tail, 1 - tail], dtype=torch.float64))
    return float(low), float(high)


def paired_difference(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """``(mean, half-width)`` of ``a - b`` over seeds paired by position (the same seed's
    data split, prompts and noise on both sides)."""
    if len(a) != len(b):
        raise ValueError(f"paired values differ in length: {len(a)} and {len(b)}")
    return mean_ci(x - y for x, y in zip(a, b, strict=True))


def compare_phrase(
    mean: float, half_width: float, more: str, less: str, same: str, unresolved: str
) -> str:
    """The verdict a paired difference supports, decided by a rule fixed before the run: its
    95% interval above zero (``more``), below zero (``less``), or containing zero (``same``).
    With one seed there is no interval and no verdict (``unresolved``)."""
    if math.isnan(half_width):
        return unresolved
    if mean - half_width > 0:
        return more
    if mean + half_width < 0:
        return less
    return same
