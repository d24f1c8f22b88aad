"""Figure style and reproducible saving: one look for every figure in the note."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # a notebook's kernel keeps its inline backend (figures shown)
    matplotlib.use("Agg")  # no display on a pipeline machine

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as mticker  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.layout_engine import ConstrainedLayoutEngine  # noqa: E402

# Every registered operator has one colour and one marker in every figure, from the registry:
# its family picks the hues (operators.AttentionOperator.family), its place among the family's
# operators in registration order picks one of them, so a plugin operator gets its own look
# without an edit here. Dark tones first; tab20's hue pairs.
FAMILY_COLOURS = {
    "dense": ["#1f77b4", "#9467bd", "#17becf", "#aec7e8", "#c5b0d5", "#9edae5", "#e377c2"],
    "sparse": ["#ff7f0e", "#d62728", "#8c564b", "#ffbb78", "#ff9896", "#c49c94"],
    "kernel": ["#2ca02c", "#bcbd22", "#98df8a", "#dbdb8d", "#637939", "#b5cf6b"],
    "content-free": ["#7f7f7f", "#c7c7c7"],
}
FAMILY_MARKERS = {"dense": "o", "sparse": "s", "kernel": "^", "content-free": "X"}
# Names that are not the registry's (methods, conditions): a qualitative set of their own.
OTHER_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]


def registry_operator(name: str):
    """The registered operator a figure's label stands for: an operator's own name, else the
    first operator whose normalizer or kernel carries that name (``softmax-logn`` is
    ``softmax_logn``'s normalizer); None for any other label."""
    from anatomy.core import operators

    if name in operators.OPERATORS:
        return operators.OPERATORS[name]
    for op in operators.OPERATORS.values():
        if name in (op.normalizer.name, op.kernel.name):
            return op
    return None


def operator_style(name: str) -> tuple[str, str] | None:
    """``(colour, marker)`` of a registered operator (or of a normalizer or kernel's name),
    None for a name the registry does not know."""
    from anatomy.core import operators

    op = registry_operator(name)
    if op is None:
        return None
    family = [o.name for o in operators.OPERATORS.values() if o.family == op.family]
    colours = FAMILY_COLOURS[op.family]
    return colours[family.index(op.name) % len(colours)], FAMILY_MARKERS[op.family]


def ordered_labels(names) -> list[str]:
    """Labels in registry order (operators as registered), then the others sorted."""
    from anatomy.core import operators

    rank = {name: i for i, name in enumerate(operators.OPERATORS)}
    known = [n for n in names if registry_operator(n) is not None]
    known.sort(key=lambda n: rank[registry_operator(n).name])
    return known + sorted(n for n in names if registry_operator(n) is None)


def operator_palette(names) -> dict[str, str]:
    """A fixed colour per label, stable across figures: the registry's for operators (and
    their normalizers and kernels), a qualitative set in sorted order for other labels."""
    names = ordered_labels(list(dict.fromkeys(names)))
    others = iter(OTHER_COLOURS * (1 + len(names) // len(OTHER_COLOURS)))
    return {n: (operator_style(n) or (next(others), None))[0] for n in names}


def operator_markers(names) -> dict[str, str]:
    """A marker per label: the operator's family's, a circle for other labels."""
    return {n: (operator_style(n) or (None, "o"))[1] for n in names}


# One figure geometry. The note's text block is 6.5 inches wide (paper/main.tex: article on
# letter paper, 1-inch margins), every figure is drawn at the width it is printed at (a share of
# the text width, :func:`save`) and the note includes it at its natural size, so the sizes below
# are the printed sizes: 7.5-pt ticks and legends, 8-pt labels beside the note's 11-pt text.
TEXT_WIDTH = 6.5  # inches
SMALL = 7.0  # the smallest text any figure prints (annotations, image titles), in points
FONT_SIZES = {
    "font.size": 8.0,
    "axes.labelsize": 8.0,
    "axes.titlesize": 8.0,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "legend.title_fontsize": 7.5,
    "figure.titlesize": 8.5,
}


def theme() -> None:
    sns.set_theme(context="paper", style="whitegrid", rc=FONT_SIZES)
    plt.rcParams.update(
        {"figure.dpi": 150, "savefig.bbox": "standard", "pdf.fonttype": 42, **FONT_SIZES}
    )


def save(fig, pdf: str | Path, png: str | Path | None = None, width: float = 1.0) -> None:
    """Save a figure as PDF (for the note) and PNG (a preview), without timestamps, drawn at
    the width it is printed at: ``width`` times the note's text width, its aspect ratio kept,
    laid out again at that size (so the fonts print at :data:`FONT_SIZES`). The PDF's page is
    exactly that wide; the note includes it at natural size (``\\includegraphics{name}``)."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    if not 0 < width <= 1:
        raise ValueError(f"a figure's width is a share of the text width in (0, 1], got {width}")
    drawn_w, drawn_h = fig.get_size_inches()
    printed = width * TEXT_WIDTH
    fig.set_size_inches(printed, drawn_h * printed / drawn_w)
    if not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        fig.tight_layout(pad=0.3)  # a constrained layout lays itself out when drawn
    Path(pdf).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(
        pdf, bbox_inches=None, metadata={"CreationDate": None, "Creator": None, "Producer": None}
    )
    if png:
        fig.savefig(png, bbox_inches=None, metadata={"Software": None})
    plt.close(fig)


def page_size(pdf: str | Path) -> tuple[float, float]:
    """Width and height in points of a PDF's first page, from its MediaBox (figures saved by
    :func:`save`: matplotlib writes the box uncompressed)."""
    import re

    box = re.search(rb"/MediaBox\s*\[\s*([\d.\s-]+)\]", Path(pdf).read_bytes())
    if box is None:
        raise ValueError(f"{pdf}: no MediaBox")
    x0, y0, x1, y1 = (float(v) for v in box.group(1).split())
    return x1 - x0, y1 - y0


def log_limits(values, quantile: float = 0.05) -> tuple[float, float]:
    """A log axis's range from the data that carries a figure's claim: from the decade below
    the ``quantile`` of the positive values to the decade above their maximum. Values that
    are zero up to rounding (1e-250 where an exact zero was computed in floating point) would
    otherwise stretch the axis over hundreds of decades and flatten every slope."""
    positive = pd.Series(values, dtype=float)
    positive = positive[positive > 0]
    low = positive.quantile(quantile)
    return 10.0 ** math.floor(math.log10(low)), 10.0 ** math.ceil(math.log10(positive.max()))


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
    height: float = 2.8,
    sharey: bool = True,
    max_cols: int = 2,
    panels: list | None = None,
    ylim: tuple[float, float] | None = None,
):
    """Lines of ``y`` against ``x`` per ``hue``, one panel per value of ``col``, with 95% CIs.

    The shape every sweep figure of the note shares; returns the figure and its axes (2-D).
    Panels follow ``panels`` or else the order in which ``col``'s values first appear in the
    table. ``ylim``: the y range shown (see :func:`log_limits`); lines beyond it are cut off.
    """
    theme()
    if panels is None:
        panels = list(dict.fromkeys(table[col])) if col else [None]
    ncols = min(max_cols, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.3 * ncols + 1.4, height * nrows), squeeze=False, sharey=sharey
    )
    categorical = not pd.api.types.is_numeric_dtype(table[hue])
    labels = ordered_labels(list(dict.fromkeys(table[hue]))) if categorical else None
    if palette is None and categorical:
        palette = operator_palette(labels)
    for index, ax in enumerate(axes.flat):
        if index >= len(panels):
            ax.set_visible(False)
            continue
        panel = panels[index]
        data = table if panel is None else table[table[col] == panel]
        sns.lineplot(
            data=data,
            x=x,
            y=y,
            hue=hue,
            hue_order=labels,
            style=hue if categorical else None,
            style_order=labels,
            palette=palette,
            markers=operator_markers(labels) if categorical else False,
            dashes=True,
            markersize=4,
            errorbar=("ci", 95),
            seed=0,  # the bootstrap behind the bands: fixed, so figures are byte-identical
            ax=ax,
            legend=index == ncols - 1,
        )
        ax.set(
            xscale="log" if logx else "linear",
            yscale="log" if logy else "linear",
            xlabel=xlabel or x,
            ylabel=(ylabel if ylabel is not None else y) if index % ncols == 0 else "",
        )
        for axis, is_log in ((ax.xaxis, logx), (ax.yaxis, logy)):
            if is_log:  # plain numbers on log axes; no crowded minor labels on x, and on y
                # minor ticks labelled where the view spans a decade or less (else an axis
                # inside one decade would have no labels)
                axis.set_major_formatter(mticker.LogFormatterSciNotation())
                axis.set_minor_formatter(
                    mticker.LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(1, 0.4))
                    if axis is ax.yaxis
                    else mticker.NullFormatter()
                )
        if ylim is not None:
            ax.set_ylim(*ylim)
        if panel is not None:  # the panel's value alone: the figure's caption names the column
            ax.set_title(str(panel))
    legend_ax = axes.flat[ncols - 1]
    if legend_ax.get_legend() is not None:
        sns.move_legend(legend_ax, "upper left", bbox_to_anchor=(1.02, 1), title=hue)
    fig.tight_layout()
    return fig, axes


def zoo_metric(metrics, metric: str, ylabel: str, logy: bool = False, shade_training=None):
    """One zoo metric against problem size, a panel per task, a line per operator.

    ``shade_training``: ``{task: (lo, hi)}`` training ranges to shade.
    """
    rows = metrics[(metrics.metric == metric) & metrics.value.notna()]
    fig, axes = line_panels(
        rows,
        "size",
        "value",
        hue="operator",
        col="task",
        logy=logy,
        xlabel="problem size n",
        ylabel=ylabel,
        max_cols=4,
    )
    for ax, task in zip(axes.flat, dict.fromkeys(rows.task), strict=False):
        if shade_training:
            ax.axvspan(*shade_training[task], color="0.9", zorder=0)
    return fig


def show_image(ax, image, title: str | None = None, fontsize: float = SMALL) -> None:
    """One image ``(3, H, W)`` in [-1, 1], pixels kept sharp, no axes."""
    ax.imshow(((image.permute(1, 2, 0) + 1) / 2).clamp(0, 1).numpy(), interpolation="nearest")
    ax.set_xticks([]), ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=fontsize, pad=2)


def image_grid(images, titles, ncols: int, size: float = 0.95):
    """A grid of images with a short title each; returns the figure and its axes."""
    theme()
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, (size + 0.25) * nrows), squeeze=False
    )
    for ax in axes.flat[len(images) :]:
        ax.set_visible(False)
    for ax, image, title in zip(axes.flat, images, titles, strict=False):
        show_image(ax, image, title)
    fig.tight_layout(pad=0.3)
    return fig, axes
