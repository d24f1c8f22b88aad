"""Run one named measurement of an experiment (``anatomy.<experiment>.measurements``: its
``load`` and its ``MEASUREMENTS``, the protocol of :mod:`anatomy.core.measurement`) and write its
table, the tensors its figure draws (when the rule has a ``tensors`` output) and its metadata."""

import importlib

from anatomy.core.measurement import Job, run
from anatomy.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as ctx:
    registry = importlib.import_module(f"anatomy.{snakemake.params.experiment}.measurements")
    files = {
        key: [value] if isinstance(value, str) else list(value)
        for key, value in snakemake.input.items()
        if key != "lib"
    }
    source = getattr(snakemake.params, "source", None)
    job = Job(ctx.settings, ctx.seed, ctx.device, files, source)
    (table, tensors), meta = run(registry, snakemake.params.measurement, job)
    table.to_parquet(snakemake.output.table, index=False)
    if "tensors" in snakemake.output.keys():
        import torch

        torch.save(tensors, snakemake.output.tensors)
    ctx.write_metadata(snakemake.output.meta, **meta)
