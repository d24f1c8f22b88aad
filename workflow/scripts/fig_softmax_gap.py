"""Figure: weight on the target against its gap above the distractors, at a small and a large
n, with equal (top) and noisy (bottom) distractors; the dashed curve is softmax's closed form
with equal distractors, the dotted lines the published support thresholds (sparsemax 1,
1.5-entmax 2)."""

import numpy as np
import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.table)
    table = table[table.metric == "target_weight"].copy()
    ns = sorted(table.n.unique())
    noises = sorted(table.noise_std.unique())
    noises = [noises[0], noises[-1]] if len(noises) > 1 else noises
    table = table[table.noise_std.isin(noises)]
    table["distractors"] = [
        f"n={n}, noise {s:g}" for n, s in zip(table.n, table.noise_std, strict=True)
    ]
    panels = [f"n={n}, noise {s:g}" for s in noises for n in ns]
    fig, axes = plotting.line_panels(
        table,
        "gap",
        "value",
        hue="normalizer",
        col="distractors",
        logx=False,
        logy=False,
        xlabel=r"gap $\Delta$",
        ylabel="weight on target",
        max_cols=len(ns),
        panels=panels,
        ylim=(-0.02, 1.02),
    )
    gaps = np.linspace(table.gap.min(), table.gap.max(), 200)
    for index, ax in enumerate(axes.flat[: len(panels)]):
        if index < len(ns):  # equal distractors: softmax's closed form
            closed = np.exp(gaps) / (np.exp(gaps) + ns[index] - 1)  # e^D / (e^D + n - 1)
            ax.plot(gaps, closed, "k--", lw=1)
        for threshold in (1.0, 2.0):
            ax.axvline(threshold, color="0.6", lw=0.8, ls=":")
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
