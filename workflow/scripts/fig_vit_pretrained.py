"""Figure: pretrained ViTs on the user's images. Left, mean attention distance per layer
(every head a dot, the mean a line); right, each model's last [CLS] map and rollout over the
first images."""

import matplotlib.pyplot as plt
import pandas as pd
import torch.nn.functional as F

from anatomy.core.artifacts import load_torch
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    paths = list(snakemake.input.tables)
    tables = [pd.read_parquet(p) for p in paths if p.endswith(".parquet")]
    extras = [load_torch(p) for p in paths if p.endswith(".pt")]
    shown = min(3, len(extras[0]["images"]))
    plotting.theme()
    fig = plt.figure(figsize=(2.6 + 0.9 * 2 * shown, 1.1 * len(tables) + 0.8))
    grid = fig.add_gridspec(len(tables), 1 + 2 * shown, width_ratios=[2.4] + [1] * (2 * shown))
    for r, (table, extra) in enumerate(zip(tables, extras, strict=True)):
        name = table.model.iloc[0]
        dist = table[table.measurement == "distance"]
        ax = fig.add_subplot(grid[r, 0])
        ax.scatter(dist.layer, dist.distance_px, s=5, alpha=0.6, linewidths=0)
        mean = dist.groupby("layer").distance_px.mean()
        ax.plot(mean.index, mean.values, lw=1.2)
        ax.set_ylabel("distance (px)", fontsize=plotting.SMALL)
        ax.set_title(name, fontsize=plotting.SMALL)
        if r == len(tables) - 1:
            ax.set_xlabel("layer")
        images = extra["images"]
        size = images.shape[-1]
        for e in range(shown):
            for k, kind in enumerate(("cls", "rollout")):
                ax = fig.add_subplot(grid[r, 1 + 2 * e + k])
                image = images[e].permute(1, 2, 0)
                image = (image - image.min()) / (image.max() - image.min())
                heat = F.interpolate(
                    extra["maps"][kind][e][None, None].float(), size=(size, size), mode="bilinear"
                )[0, 0]
                ax.imshow(image.numpy())
                ax.imshow(heat.numpy(), cmap="magma", alpha=0.6)
                ax.set_xticks([]), ax.set_yticks([])
                if r == 0:
                    ax.set_title("[CLS]" if kind == "cls" else "rollout", fontsize=plotting.SMALL)
    fig.tight_layout(pad=0.3)
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
