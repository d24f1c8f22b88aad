"""Figure: MSE of the random-feature estimators of exp(x.y) against m, with the closed form."""

import pandas as pd

from anatomy import plotting

table = pd.read_parquet(snakemake.input.tables[0])
table["estimator"] = table.features + ", " + table.draw
fig, axes = plotting.line_panels(
    table,
    "m",
    "mse",
    hue="estimator",
    col="features",
    xlabel="random directions $m$",
    ylabel="MSE of the estimate of $\\exp(x\\cdot y)$",
    max_cols=3,
)
for ax, kind in zip(axes.flat, dict.fromkeys(table.features), strict=False):
    theory = table[(table.features == kind) & (table.draw == "iid")]
    ax.plot(theory.m, theory.theory, color="black", lw=0.8, ls=":", label="closed form (iid)")
    ax.legend(fontsize=6, loc="lower left")
plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
