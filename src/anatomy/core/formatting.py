"""Numbers and names as LaTeX text: the formatting the prose, the tables and the math
modules' own summaries share. Nothing here builds a table or a PDF, so that a change to the
note's typesetting (:mod:`anatomy.report.latex`) never reruns a measurement that formats a number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def fmt(x: float, digits: int = 2) -> str:
    """A number for the prose: ``digits`` significant figures, scientific below 1e-3.

    Returns LaTeX (math mode where needed), e.g. ``0.33``, ``1.2\\times10^{-16}``.
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "---"
    if x == 0:
        return "0"
    if math.isinf(x):
        return r"\ensuremath{\infty}" if x > 0 else r"\ensuremath{-\infty}"
    magnitude = math.floor(math.log10(abs(x)))
    if -3 <= magnitude < 5:
        decimals = max(0, digits - 1 - magnitude)
        return f"{x:.{decimals}f}"
    mantissa = round(x / 10**magnitude, digits - 1)
    if abs(mantissa) >= 10:  # rounding carried into the next power
        mantissa, magnitude = mantissa / 10, magnitude + 1
    return rf"\ensuremath{{{mantissa:.{digits - 1}f}\times10^{{{magnitude}}}}}"


def code(name: str) -> str:
    """A name from the code (an operator, a method) in typewriter, underscores escaped."""
    return r"\texttt{" + name.replace("_", r"\_") + "}"


def fmt_int(x: float) -> str:
    """An integer with thin-space thousands separators (``16\\,384``)."""
    return f"{int(round(x)):,}".replace(",", r"\,")


def pm(half_width: float, digits: int = 2) -> str:
    """``\\pm`` and an interval's half-width, for math mode after the mean; empty when there
    is no interval (one seed), so that the prose reads the same either way."""
    if half_width is None or math.isnan(half_width):
        return ""
    return rf"\pm {fmt(float(half_width), digits)}"


def with_interval(value: float, half_width: float, digits: int = 2) -> str:
    """A table cell: ``value $\\pm$ half-width``, or the value alone when there is no
    interval (NaN, one seed)."""
    shown = fmt(value, digits)
    if half_width is None or math.isnan(half_width):
        return shown
    return f"{shown} $\\pm$ {fmt(float(half_width), 2)}"


def seed_words(count: int) -> str:
    """``one seed`` or ``3 seeds``, for the prose."""
    return "one seed" if count == 1 else f"{count} seeds"


def word_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: a list for the prose."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def format_values(values: Mapping[str, float | int | str], digits: int = 2) -> dict[str, str]:
    """Python ints as integers, floats with ``digits`` significant figures, strings as given."""
    out = {}
    for name, value in values.items():
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, int):
            out[name] = fmt_int(value)
        else:
            out[name] = fmt(float(value), digits)
    return out
