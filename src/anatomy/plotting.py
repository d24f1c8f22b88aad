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


def line_panels(
    table,
    x: str,
    y: str,
    hue: str,
    col: str | None = None,
    logx: bool = True,
    logy: bool = True,
    xlabel: str | None = None,
    ylabel: str | None = None,
    palette=None,
    height: float = 3.0,
    sharey: bool = True,
):
    """Lines of ``y`` against ``x`` per ``hue``, one panel per value of ``col``, with 95% CIs.

    The shape every sweep figure of the note shares; returns the figure and its axes.
    """
    theme()
    panels = sorted(table[col].unique()) if col else [None]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(3.4 * len(panels) + 1.2, height), squeeze=False, sharey=sharey
    )
    if palette is None and table[hue].dtype == object:
        palette = operator_palette(list(dict.fromkeys(table[hue])))
    for ax, panel in zip(axes[0], panels, strict=True):
        data = table if panel is None else table[table[col] == panel]
        sns.lineplot(
            data=data,
            x=x,
            y=y,
            hue=hue,
            style=hue if table[hue].dtype == object else None,
            palette=palette,
            markers=table[hue].dtype == object,
            dashes=True,
            markersize=4,
            errorbar=("ci", 95),
            ax=ax,
            legend=ax is axes[0, -1],
        )
        ax.set(
            xscale="log" if logx else "linear",
            yscale="log" if logy else "linear",
            xlabel=xlabel or x,
            ylabel=ylabel or y,
        )
        if panel is not None:
            ax.set_title(f"{col}: {panel}")
    legend = axes[0, -1].get_legend()
    if legend is not None:
        sns.move_legend(axes[0, -1], "upper left", bbox_to_anchor=(1.02, 1), fontsize=7, title=hue)
    fig.tight_layout()
    return fig, axes
