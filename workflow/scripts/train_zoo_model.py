"""Train one zoo model and save its checkpoint (a non-finite loss stops the rule)."""

from anatomy.runtime import snakemake_job
from anatomy.zoo import save_checkpoint, train

with snakemake_job(snakemake) as ctx:
    w = snakemake.wildcards
    seed = ctx.seed + int(w.seed)
    job = f"train_zoo_model {w.task}/{w.operator}/seed{w.seed}"
    model, history = train(w.task, w.operator, ctx.settings, seed, ctx.device, job=job)
    save_checkpoint(snakemake.output.checkpoint, model, w.task, history, ctx.metadata(seed=seed))
