"""Figure: associative retrieval loss against the number of stored pairs, per kernel, with
each kernel's feature dimension marked."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    fig, axes = plotting.line_panels(
        table,
        "pairs",
        "loss",
        hue="kernel",
        xlabel="stored (key, value) pairs",
        ylabel="retrieval loss (MSE / value power)",
        logy=False,
    )
    ax = axes[0, 0]
    palette = plotting.operator_palette(list(dict.fromkeys(table.kernel)))
    for kernel, dim in table.groupby("kernel").feature_dim.first().items():
        if kernel != "softmax":  # softmax has no finite feature map
            ax.axvline(dim, color=palette[kernel], lw=0.7, ls=":")
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png, width=0.8)
