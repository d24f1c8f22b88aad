"""Figure: FAVOR+ against exact softmax attention, against the exact rows' entropy (set by
the inverse temperature), one line per number of features."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    long = table.melt(
        id_vars=["beta", "m", "draw", "entropy"],
        value_vars=["weight_tv", "output_error"],
        var_name="error",
    )
    long["error"] = long.error.map(
        {"weight_tv": "weights: total variation per row", "output_error": "output: relative RMS"}
    )
    long["features"] = "m = " + long.m.astype(str) + ", " + long.draw
    fig, axes = plotting.line_panels(
        long,
        "entropy",
        "value",
        hue="features",
        col="error",
        logx=False,
        logy=False,
        xlabel="entropy of the exact rows / log n",
        ylabel="error of FAVOR+",
        sharey=False,
    )
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
