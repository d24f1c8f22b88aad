"""Figure: last-layer attention entropy / log n against problem size."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    metrics = pd.read_parquet(snakemake.input.table)
    fig = plotting.zoo_metric(metrics, "normalized_entropy", "entropy / log n")
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
