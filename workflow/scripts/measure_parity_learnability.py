"""PARITY trained at one fixed length at a time (the zoo's model and optimiser, the seeds of a
length stacked), each length's accuracy beside the exact construction's margin there."""

import json
from pathlib import Path

from anatomy.pipeline.runtime import snakemake_job
from anatomy.zoo.learnability import run

with snakemake_job(snakemake) as ctx:
    s = ctx.settings
    seeds = [ctx.seed + seed for seed in s["seeds"]]
    table = run(s["learnability"], s["training"], seeds, ctx.device, ctx.seed)
    table.to_parquet(snakemake.output.table, index=False)
    meta = {"settings": s["learnability"], "seeds": seeds, "profile": ctx.profile}
    Path(snakemake.output.meta).write_text(json.dumps(meta, indent=1, sort_keys=True))
