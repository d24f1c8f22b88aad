"""Figure style and reproducible saving: one look for every figure in the note."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a pipeline machine

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

# The note's operators always get the same colour, whatever subset a figure shows.
OPERATOR_ORDER = [
    "softmax",
    "sparsemax",
    "entmax15",
    "sigmoid",
    "hardmax",
    "softmax-logn",
    "relu",
    "uniform",
]


def theme() -> None:
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.0)
    plt.rcParams.update({"figure.dpi": 150, "savefig.bbox": "tight", "pdf.fonttype": 42})


def operator_palette(names) -> dict[str, tuple]:
    """A fixed colour per operator name, stable across figures."""
    ordered = [n for n in OPERATOR_ORDER if n in names] + sorted(
        n for n in names if n not in OPERATOR_ORDER
    )
    colours = sns.color_palette("colorblind", max(len(OPERATOR_ORDER), len(ordered)))
    known = {n: colours[i] for i, n in enumerate(OPERATOR_ORDER)}
    extra = iter(colours[len(OPERATOR_ORDER) :] + colours)
    return {n: known.get(n) or next(extra) for n in ordered}


def save(fig, pdf: str | Path, png: str | Path | None = None) -> None:
    """Save a figure as PDF (for the note) and PNG (a preview), without timestamps."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    Path(pdf).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(pdf, metadata={"CreationDate": None, "Creator": None, "Producer": None})
    if png:
        fig.savefig(png, metadata={"Software": None})
    plt.close(fig)
