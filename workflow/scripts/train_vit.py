"""Train one tiny ViT (operator, patch size and registers from its name) on the cached
images; save its weights at initialization and after training."""

import copy

import pandas as pd
import torch

from anatomy import vit
from anatomy.artifacts import load_torch
from anatomy.runtime import snakemake_job
from anatomy.vit_data import training_sampler

with snakemake_job(snakemake) as ctx:
    spec = vit.ModelSpec.parse(snakemake.wildcards.model)
    t = ctx.settings["training"]
    torch.manual_seed(ctx.seed)  # every model starts from its seed's initialization
    model = vit.build_from_spec(spec, ctx.settings)
    init = copy.deepcopy(model.state_dict())
    data = load_torch(snakemake.input.data)
    history = vit.train(
        model,
        training_sampler(data),
        t["steps"],
        t["batch"],
        t["learning_rate"],
        ctx.seed,
        warmup=t["warmup"],
        log_every=t["log_every"],
        job=f"train_vit {spec.name}",
    )
    vit.save_checkpoint(snakemake.output.model, spec, ctx.settings, init, model, ctx.metadata())
    pd.DataFrame(history).assign(model=spec.name).to_parquet(snakemake.output.history, index=False)
