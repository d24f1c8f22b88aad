"""Figure: relative residual |X - 1 mean(X)| / |X| against depth, per architecture variant."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.table)
    table["relative_residual"] = table.relative_residual.clip(lower=1e-12)  # log axis: exact 0
    fig, _ = plotting.line_panels(
        table,
        "layer",
        "relative_residual",
        hue="operator",
        col="variant",
        logx=False,
        xlabel="layer",
        ylabel="relative residual",
    )
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
