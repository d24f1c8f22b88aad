"""The dynamic-adjacency data: each chosen zoo model's (every operator and seed) last-layer
attention on the same few inputs (the inputs differ, so the graph should too), and how much
each query row moves between many pairs of inputs (`row_change`)."""

import torch

from anatomy.pipeline.runtime import snakemake_job
from anatomy.zoo.runs import zoo_adjacency

with snakemake_job(snakemake) as ctx:
    s = ctx.settings
    maps = [
        zoo_adjacency(path, s["task"], s["size"], s["examples"], ctx.seed, s["inputs"])
        for path in snakemake.input.checkpoints
    ]
    torch.save({"task": s["task"], "maps": maps}, snakemake.output.maps)
