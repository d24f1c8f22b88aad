"""Main cause or modulator: the base model against the pooled-text and uniform-map variants."""

from pathlib import Path

import pandas as pd

from anatomy.diffusion import load
from anatomy.diffusion_analysis import compare_variants
from anatomy.runtime import snakemake_job

with snakemake_job(snakemake) as ctx:
    models = {Path(folder).name: load(folder, ctx.device) for folder in snakemake.input.models}
    histories = {Path(h).stem: pd.read_parquet(h) for h in snakemake.input.histories}
    table = compare_variants(models, histories, ctx.settings, ctx.seed)
    table.to_parquet(snakemake.output.table, index=False)
