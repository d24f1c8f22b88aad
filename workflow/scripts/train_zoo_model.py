"""Train every model of one zoo task: for each operator, its seeds together as one stacked
model (a seed trained in the stack is the seed trained alone), then one checkpoint per
(operator, seed). A non-finite loss stops the rule and names the operator and the seed."""

from anatomy.pipeline.runtime import seed_of, snakemake_job
from anatomy.zoo.runs import by_operator, save_checkpoint, train
from anatomy.zoo.settings import Training

with snakemake_job(snakemake) as ctx:
    task = snakemake.wildcards.task
    settings = Training.of(ctx.settings)  # the task's own per_task values already merged in
    for operator, paths in by_operator(list(snakemake.output)).items():  # every output
        seeds = [ctx.seed + seed_of(path) for path in paths]
        trained = train(
            task,
            operator,
            settings,
            seeds,
            ctx.device,
            schedule_seed=ctx.seed,
            job=f"train_zoo_model {task}/{operator}",
        )
        for path, seed, (model, history) in zip(paths, seeds, trained, strict=True):
            save_checkpoint(path, model, task, history, ctx.metadata(seed=seed, stack=seeds))
