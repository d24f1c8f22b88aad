"""Measure one trained zoo model at every test size."""

from anatomy.runtime import snakemake_job
from anatomy.tasks import TASKS, test_sizes
from anatomy.zoo import evaluate

with snakemake_job(snakemake) as ctx:
    s, w = ctx.settings, snakemake.wildcards
    sizes = test_sizes(TASKS[w.task], s["length_factor"], s["sizes"])
    table = evaluate(snakemake.input.checkpoint, sizes, s["samples"], ctx.seed, ctx.device)
    table["seed"] = int(w.seed)
    table.to_parquet(snakemake.output.table, index=False)
