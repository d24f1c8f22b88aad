"""Run one named measurement (anatomy.pipeline.measurements) and write its table and metadata."""

from anatomy.pipeline.measurements import MEASUREMENTS
from anatomy.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as ctx:
    measure = MEASUREMENTS[snakemake.params.measurement]
    table = measure(ctx.settings, ctx.seed, ctx.device)
    table.to_parquet(snakemake.output.table, index=False)
    ctx.write_metadata(snakemake.output.meta, rows=len(table), measurement=measure.__name__)
