"""Probe one pretrained timm ViT on the user's folder of images (vit.pretrained): distance,
shift stability and token norms, with its maps for the overlay figure."""

import torch

from anatomy.core.artifacts import pretrained_file
from anatomy.pipeline.runtime import snakemake_job
from anatomy.vit.measurements import load_images, probe_pretrained
from anatomy.vit.models import load_pretrained
from anatomy.vit.settings import ViTSettings

with snakemake_job(snakemake) as ctx:
    s, name = ViTSettings.of(ctx.settings), snakemake.wildcards.pretrained
    p = s.pretrained
    model = load_pretrained(name, file=pretrained_file(p.weights, name))
    images, files = load_images(p.images, model, p.limit)
    table, extras = probe_pretrained(model, images, s.analysis.norm_factor)
    table.assign(model=name).to_parquet(snakemake.output.table, index=False)
    torch.save(extras | {"files": files}, snakemake.output.tensors)
    ctx.write_metadata(snakemake.output.meta, rows=len(table), model=name, images=len(files))
