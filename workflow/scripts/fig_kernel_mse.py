"""Figure: MSE of the random-feature estimators of exp(x.y) against m, iid and orthogonal
draws, one panel per feature map, with the closed form for iid draws."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    fig, axes = plotting.line_panels(
        table,
        "m",
        "mse",
        hue="draw",
        col="features",
        xlabel="random directions $m$",
        ylabel="MSE of the estimate of $\\exp(x\\cdot y)$",
        max_cols=3,
    )
    for ax, kind in zip(axes.flat, dict.fromkeys(table.features), strict=False):
        theory = table[(table.features == kind) & (table.draw == "iid")]
        ax.plot(theory.m, theory.theory, color="black", lw=0.8, ls=":", label="closed form (iid)")
    last = axes.flat[len(dict.fromkeys(table.features)) - 1]
    last.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1), title="draw")
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
