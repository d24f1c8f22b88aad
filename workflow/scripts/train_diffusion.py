"""Train one text-to-image variant of one seed on generated scenes; save it in the diffusers
layout. The base run also saves its EMA weights at the variants' step count (the ``short``
output)."""

import pandas as pd

from anatomy.diffusion.model import save, train
from anatomy.diffusion.settings import DiffusionSettings
from anatomy.pipeline.runtime import seed_of, snakemake_job

with snakemake_job(snakemake) as ctx:
    out, s = snakemake.output, DiffusionSettings.of(ctx.settings)
    t = s.training
    variant = snakemake.wildcards.get("variant", "base")
    offset = seed_of(out.model)
    seed = ctx.seed + offset  # also draws this model's held-out prompt combinations
    steps = t.steps if variant == "base" else t.variant_steps
    snapshots = {}
    if "short" in out.keys():
        snapshots = {min(t.variant_steps, steps): out.short}
    job = f"{snakemake.rule} {variant}/seed{offset}"
    info = ctx.metadata(seed=seed)
    model, history = train(
        s.data, s.model, t, variant, steps, seed, ctx.device, snapshots, info, job=job
    )
    save(model, out.model, ctx.metadata(variant=variant, steps=steps, seed=seed))
    history = pd.DataFrame(history).assign(seed=offset)
    history.assign(model=variant).to_parquet(out.history, index=False)
    if "short" in out.keys():
        short = history[history.step <= min(t.variant_steps, steps)]
        short.assign(model="base_short").to_parquet(out.short_history, index=False)
