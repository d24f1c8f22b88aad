"""Draw and cache the ViT experiment's images: the training set and the held-out images
with their target and distractor masks."""

import torch

from anatomy.runtime import snakemake_job
from anatomy.vit_data import make_dataset

with snakemake_job(snakemake) as ctx:
    d = ctx.settings["data"]
    data = make_dataset(d["train"], d["evaluation"], d["size"], ctx.seed, d["radius"], d["noise"])
    data["meta"] = ctx.metadata()
    torch.save(data, snakemake.output.data)
