"""Figure: n times the change of a [CLS] readout when one input bit flips, against n (the
y axis spans the data's decades, `plotting.log_limits`; readouts that do not move are cut off)."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.table)
    long = table.melt(
        id_vars=["operator", "n", "trial"],
        value_vars=["n_mean_delta", "n_max_delta"],
        var_name="over flipped positions",
        value_name="n |dy|",
    )
    long["over flipped positions"] = long["over flipped positions"].map(
        {"n_mean_delta": "mean", "n_max_delta": "max"}
    )
    fig, _ = plotting.line_panels(
        long,
        "n",
        "n |dy|",
        hue="operator",
        col="over flipped positions",
        xlabel="n (input length)",
        ylabel=r"$n\,|\Delta y|$",
        panels=["mean", "max"],
        ylim=plotting.log_limits(long["n |dy|"]),
    )
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
