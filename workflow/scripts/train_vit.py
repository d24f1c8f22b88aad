"""Train every seed of one tiny ViT (operator, patch size and registers from its name) on the
cached images; save each seed's weights at initialization and after training, and one
training history with a ``seed`` column. Each seed is trained exactly as it would be alone."""

import pandas as pd

from anatomy.core.artifacts import load_torch
from anatomy.pipeline.runtime import seed_of, snakemake_job
from anatomy.vit import models as vit
from anatomy.vit.data import training_sampler
from anatomy.vit.settings import ViTSettings

with snakemake_job(snakemake) as ctx:
    s = ViTSettings.of(ctx.settings)
    spec = vit.ModelSpec.parse(snakemake.wildcards.model)
    sampler = training_sampler(load_torch(snakemake.input.data))
    histories = []
    for path in [f for f in snakemake.output if f != snakemake.output.history]:  # one a seed
        offset = seed_of(path)
        seed = ctx.seed + offset
        job = f"train_vit {spec.name}/seed{offset}"
        init, model, history = vit.train_seed(
            spec, s.data.size, s.model, s.training, sampler, seed, job, ctx.device
        )
        meta = ctx.metadata(seed=seed)
        vit.save_checkpoint(
            path, spec, s.data, s.model, init, model, meta, s.training.learning_rate
        )
        histories.append(pd.DataFrame(history).assign(model=spec.name, seed=offset))
    pd.concat(histories).to_parquet(snakemake.output.history, index=False)
