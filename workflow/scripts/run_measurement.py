"""Run one named measurement of a section (``anatomy.<experiment>.measurements``, its
``MEASUREMENTS``) and write its table and metadata."""

import importlib

from anatomy.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as ctx:
    registry = importlib.import_module(f"anatomy.{snakemake.params.experiment}.measurements")
    measure = registry.MEASUREMENTS[snakemake.params.measurement]
    table = measure(ctx.settings, ctx.seed, ctx.device)
    table.to_parquet(snakemake.output.table, index=False)
    ctx.write_metadata(snakemake.output.meta, rows=len(table), measurement=measure.__name__)
