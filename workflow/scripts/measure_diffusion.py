"""Run one diffusion measurement (anatomy.diffusion.measurements.MEASUREMENTS) on the probed
model: its table, the tensors its figure draws, and the run's metadata. Our own model is
measured on the held-out prompts of the seed it was trained with."""

import torch

from anatomy.diffusion.measurements import MEASUREMENTS
from anatomy.diffusion.model import load
from anatomy.pipeline.runtime import seed_of, snakemake_job

with snakemake_job(snakemake) as ctx:
    name = snakemake.wildcards.measurement
    source = snakemake.params.source
    model = load(source, ctx.device)
    seed = ctx.seed + (seed_of(source) if snakemake.input.model else 0)
    table, extras = MEASUREMENTS[name](model, ctx.settings, seed)
    table.to_parquet(snakemake.output.table, index=False)
    torch.save(extras, snakemake.output.extras)
    ctx.write_metadata(
        snakemake.output.meta, rows=len(table), measurement=name, model=source, seed=seed
    )
