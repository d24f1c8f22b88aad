"""Main cause or modulator: the base model against the pooled-text and uniform-map variants.
The full base model's reads come from its samples measurement (same prompts, same noise)."""

from pathlib import Path

import pandas as pd

from anatomy.diffusion import load
from anatomy.diffusion_analysis import compare_variants
from anatomy.runtime import snakemake_job

with snakemake_job(snakemake) as ctx:
    models = {Path(folder).name: load(folder, ctx.device) for folder in snakemake.input.models}
    histories = {Path(h).stem: pd.read_parquet(h) for h in snakemake.input.histories}
    measured = {"base": pd.read_parquet(snakemake.input.samples)}
    table = compare_variants(models, histories, ctx.settings, ctx.seed, measured)
    table.to_parquet(snakemake.output.table, index=False)
