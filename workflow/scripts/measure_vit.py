"""Run one ViT measurement (anatomy.vit.measurements.MEASUREMENTS) on every trained model of
every seed: one table with a ``seed`` column, the tensors its figure draws (the first seed's
models), and the run's metadata. Rules that also pass ``sized`` images (the patch sweep at a
fixed token count) hand the measurement every image size's held-out set."""

import torch

from anatomy.core.artifacts import load_torch
from anatomy.pipeline.runtime import by_seed, snakemake_job
from anatomy.vit.data import evaluation_set
from anatomy.vit.measurements import measure_seeds

with snakemake_job(snakemake) as ctx:
    name = snakemake.wildcards.measurement
    objects = evaluation_set(load_torch(snakemake.input.data))
    if "sized" in snakemake.input.keys():
        sets = [objects] + [evaluation_set(load_torch(p)) for p in snakemake.input.sized]
        objects = {o.images.shape[-1]: o for o in sets}
    seeds = by_seed(snakemake.input.models)
    table, extras = measure_seeds(name, seeds, objects, ctx.settings, ctx.seed)
    table.to_parquet(snakemake.output.table, index=False)
    torch.save(extras, snakemake.output.extras)
    ctx.write_metadata(
        snakemake.output.meta,
        rows=len(table),
        measurement=name,
        models=sorted(set(table.model)),
        seeds=list(seeds),
    )
