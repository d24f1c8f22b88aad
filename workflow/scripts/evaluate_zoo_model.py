"""Measure every trained model of one zoo task (each operator, each seed) at every test size."""

from anatomy.pipeline.runtime import seed_of, snakemake_job
from anatomy.zoo.runs import evaluate
from anatomy.zoo.settings import Evaluation
from anatomy.zoo.tasks import TASKS, test_sizes

with snakemake_job(snakemake) as ctx:
    s = Evaluation.of(ctx.settings)
    sizes = test_sizes(TASKS[snakemake.wildcards.task], s.length_factor, s.sizes)
    for checkpoint, out in zip(snakemake.input.checkpoints, snakemake.output.tables, strict=True):
        table = evaluate(checkpoint, sizes, s.samples, ctx.seed, ctx.device)
        table["seed"] = seed_of(checkpoint)
        table.to_parquet(out, index=False)
