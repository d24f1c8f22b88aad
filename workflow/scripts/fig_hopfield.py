"""Figure: patterns retrieved by one Hopfield update (softmax attention) against beta."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.table)
    long = table.melt(
        id_vars=["num_patterns", "beta", "trial"],
        value_vars=["effective_patterns", "cosine_to_target"],
        var_name="quantity",
    )
    long["stored patterns"] = long.num_patterns.astype(str)
    fig, axes = plotting.line_panels(
        long,
        "beta",
        "value",
        hue="stored patterns",
        col="quantity",
        logy=False,
        xlabel=r"inverse temperature $\beta$",
        ylabel="",
        sharey=False,
    )
    axes[0, 0].set_yscale("log")
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
