"""Figure: time (forward; forward + backward) and peak memory against sequence length for
softmax attention (SDPA backends, the manual path) and linear attention (elu+1, FAVOR+)."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    timed = table[table.skipped == ""].copy()
    timed["mode"] = timed["mode"].str.replace("_", " + ")
    time_rows = timed.assign(quantity="seconds,\n" + timed["mode"], value=timed.seconds)
    memory = timed[timed["mode"] == "forward + backward"]
    memory_rows = memory.assign(
        quantity="peak memory (MiB),\nforward + backward", value=memory.peak_mib.clip(lower=0.01)
    )
    long = pd.concat([time_rows, memory_rows])
    fig, axes = plotting.line_panels(
        long,
        "n",
        "value",
        hue="method",
        col="quantity",
        xlabel="sequence length n",
        ylabel="",
        sharey=False,
        max_cols=3,
    )
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
