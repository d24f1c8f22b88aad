"""Figure: K^2-head self-attention with the quadratic relative encoding against a K x K
convolution: relative error against alpha, beside the nearest-neighbour leak 4 exp(-alpha)."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    long = pd.concat(
        [
            table.assign(curve="attention vs conv2d (float64)", value=table.relative_error),
            table.assign(curve="4 exp(-alpha)", value=table.leak),
        ]
    )
    fig, axes = plotting.line_panels(
        long,
        "alpha",
        "value",
        hue="curve",
        logx=False,
        xlabel=r"$\alpha$",
        ylabel="relative error",
    )
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png, width=0.6)
