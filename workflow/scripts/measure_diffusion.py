"""Run one diffusion measurement (anatomy.diffusion_analysis.MEASUREMENTS) on the probed
model: its table, the tensors its figure draws, and the run's metadata."""

import torch

from anatomy.diffusion import load
from anatomy.diffusion_analysis import MEASUREMENTS
from anatomy.runtime import snakemake_job

with snakemake_job(snakemake) as ctx:
    name = snakemake.wildcards.measurement
    model = load(snakemake.params.source, ctx.device)
    table, extras = MEASUREMENTS[name](model, ctx.settings, ctx.seed)
    table.to_parquet(snakemake.output.table, index=False)
    torch.save(extras, snakemake.output.extras)
    ctx.write_metadata(
        snakemake.output.meta, rows=len(table), measurement=name, model=snakemake.params.source
    )
