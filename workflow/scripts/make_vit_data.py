"""Draw and cache the ViT experiment's images: the training set and the held-out images
with their target and distractor masks, at the experiment's image size or (the patch sweep at
a fixed token count) at the size the rule's ``pixels`` names."""

import torch

from anatomy.pipeline.runtime import snakemake_job
from anatomy.vit.data import make_dataset
from anatomy.vit.settings import ViTSettings

with snakemake_job(snakemake) as ctx:
    d = ViTSettings.of(ctx.settings).data
    size = int(getattr(snakemake.wildcards, "pixels", d.size))
    data = make_dataset(d.train, d.evaluation, size, ctx.seed, d.radius, d.noise)
    data["meta"] = ctx.metadata()
    torch.save(data, snakemake.output.data)
