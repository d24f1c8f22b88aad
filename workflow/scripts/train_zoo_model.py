"""Train one zoo model and save its checkpoint (a NaN loss stops the rule)."""

from anatomy.runtime import snakemake_job
from anatomy.zoo import save_checkpoint, train

with snakemake_job(snakemake) as ctx, open(snakemake.log[0], "a") as progress:
    w = snakemake.wildcards
    seed = ctx.seed + int(w.seed)
    model, history = train(w.task, w.operator, ctx.settings, seed, ctx.device, progress=progress)
    save_checkpoint(snakemake.output.checkpoint, model, w.task, history, ctx.metadata(seed=seed))
