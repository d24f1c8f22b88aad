"""Train every seed of one zoo cell (task, operator) and save one checkpoint per seed; each
seed is trained exactly as it would be alone (a non-finite loss stops the rule)."""

import time

from anatomy.runtime import seed_of, snakemake_job
from anatomy.zoo import save_checkpoint, train

with snakemake_job(snakemake) as ctx:
    w = snakemake.wildcards
    for path in snakemake.output.checkpoints:
        offset = seed_of(path)
        seed = ctx.seed + offset
        job = f"train_zoo_model {w.task}/{w.operator}/seed{offset}"
        started = time.perf_counter()
        model, history = train(w.task, w.operator, ctx.settings, seed, ctx.device, job=job)
        seconds = round(time.perf_counter() - started, 3)  # this seed's own training time
        save_checkpoint(path, model, w.task, history, ctx.metadata(seed=seed, wall_time_s=seconds))
