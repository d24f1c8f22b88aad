"""Figure: cost of one decoding step against the prefix length: a KV cache (softmax) grows,
the recurrent state of linear attention does not."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    long = pd.concat(
        [
            table.assign(quantity="seconds per token", value=table.seconds),
            table.assign(quantity="bytes kept", value=table.state_bytes.astype(float)),
        ]
    )
    fig, axes = plotting.line_panels(
        long,
        "prefix",
        "value",
        hue="method",
        col="quantity",
        xlabel="prefix length",
        ylabel="",
        sharey=False,
    )
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png, width=0.8)
