"""Train one text-to-image variant on generated scenes; save it in the diffusers layout. The
base run also saves its EMA weights at the variants' step count (the ``short`` output)."""

import pandas as pd

from anatomy.diffusion import save, train
from anatomy.runtime import snakemake_job

with snakemake_job(snakemake) as ctx:
    out, t = snakemake.output, ctx.settings["training"]
    variant = snakemake.wildcards.get("variant", "base")
    steps = t["steps"] if variant == "base" else t["variant_steps"]
    snapshots = {}
    if "short" in out.keys():
        snapshots = {min(t["variant_steps"], steps): out.short}
    job = f"{snakemake.rule} {variant}"
    model, history = train(
        ctx.settings, variant, steps, ctx.seed, ctx.device, snapshots, ctx.metadata(), job=job
    )
    save(model, out.model, ctx.metadata(variant=variant, steps=steps))
    history = pd.DataFrame(history)
    history.assign(model=variant).to_parquet(out.history, index=False)
    if "short" in out.keys():
        short = history[history.step <= min(t["variant_steps"], steps)]
        short.assign(model="base_short").to_parquet(out.short_history, index=False)
