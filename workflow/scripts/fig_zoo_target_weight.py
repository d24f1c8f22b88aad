"""Figure: last-layer attention weight on the answer's source token against problem size."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    metrics = pd.read_parquet(snakemake.input.table)
    fig = plotting.zoo_metric(metrics, "target_weight", "weight on source", logy=True)
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
