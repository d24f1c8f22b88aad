"""Concatenate tidy tables into one."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job

with snakemake_job(snakemake):
    pd.concat(
        [pd.read_parquet(path) for path in snakemake.input.tables], ignore_index=True
    ).to_parquet(snakemake.output.table, index=False)
