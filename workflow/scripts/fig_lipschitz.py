"""Figure: Jacobian spectral norm of one attention layer against the input scale, one nonzero
token (left) and random inputs (right); the y axis spans the data's decades
(`plotting.log_limits`)."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.table)
    fig, _ = plotting.line_panels(
        table,
        "scale",
        "jacobian_norm",
        hue="operator",
        col="input",
        xlabel="input scale",
        ylabel="Jacobian spectral norm",
        panels=["one_token", "random"],
        ylim=plotting.log_limits(table["jacobian_norm"]),
    )
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
