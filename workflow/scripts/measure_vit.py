"""Run one ViT measurement (anatomy.vit_measurements.MEASUREMENTS) on every trained model:
its table, the tensors its figure draws, and the run's metadata."""

import torch

from anatomy.artifacts import load_torch
from anatomy.runtime import snakemake_job
from anatomy.vit_data import evaluation_set
from anatomy.vit_measurements import MEASUREMENTS, load_models

with snakemake_job(snakemake) as ctx:
    name = snakemake.wildcards.measurement
    objects = evaluation_set(load_torch(snakemake.input.data))
    models = load_models(snakemake.input.models)
    table, extras = MEASUREMENTS[name](models, objects, ctx.settings, ctx.seed)
    table.to_parquet(snakemake.output.table, index=False)
    torch.save(extras, snakemake.output.extras)
    ctx.write_metadata(
        snakemake.output.meta, rows=len(table), measurement=name, models=list(models)
    )
