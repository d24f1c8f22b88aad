"""Train every seed of one zoo cell (task, operator) together, as one stacked model, and
save one checkpoint per seed; a seed trained in the stack is the seed trained alone (a
non-finite loss stops the rule and names the seed)."""

from anatomy.runtime import seed_of, snakemake_job
from anatomy.zoo import save_checkpoint, train

with snakemake_job(snakemake) as ctx:
    w = snakemake.wildcards
    paths = list(snakemake.output.checkpoints)
    seeds = [ctx.seed + seed_of(path) for path in paths]
    trained = train(
        w.task,
        w.operator,
        ctx.settings,
        seeds,
        ctx.device,
        schedule_seed=ctx.seed,
        job=f"train_zoo_model {w.task}/{w.operator}",
    )
    for path, seed, (model, history) in zip(paths, seeds, trained, strict=True):
        meta = ctx.metadata(seed=seed, trained_with_seeds=seeds)  # wall time: the whole stack's
        save_checkpoint(path, model, w.task, history, meta)
