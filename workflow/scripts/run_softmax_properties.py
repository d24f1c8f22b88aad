"""Structural properties of one random self-attention layer, for every registered operator."""

from anatomy import operators
from anatomy.runtime import snakemake_job
from anatomy.softmax_constraints import structural_properties

with snakemake_job(snakemake) as ctx:
    s = ctx.settings
    table = structural_properties(operators.names(), s["n"], s["d"], s["trials"], ctx.seed)
    table.to_parquet(snakemake.output.table, index=False)
    ctx.write_metadata(snakemake.output.meta, rows=len(table))
