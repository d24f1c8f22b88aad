"""Figure: where each trained ViT looks (the first training seed's models). Held-out images,
then every model's [CLS] map of the last layer (top rows) and its attention rollout (bottom
rows); the target (its shape is the label) outlined in white, the distractor ring of the same
colour in cyan."""

import matplotlib.pyplot as plt
import torch.nn.functional as F

from anatomy.core.artifacts import load_torch
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    extras = load_torch(snakemake.input.tables[0])
    images, target, distractor = extras["images"], extras["target"], extras["distractor"]
    maps = extras["maps"]
    models = list(maps)
    size = images.shape[-1]
    kinds = [("cls", "[CLS], last layer"), ("rollout", "rollout")]
    plotting.theme()
    rows = len(images) * len(kinds)
    fig, axes = plt.subplots(
        rows, len(models) + 1, figsize=(0.85 * (len(models) + 1), 0.88 * rows), squeeze=False
    )
    for k, (kind, label) in enumerate(kinds):
        for e in range(len(images)):
            r = k * len(images) + e
            plotting.show_image(axes[r, 0], images[e], label if e == 0 else None)
            for c, model in enumerate(models):
                heat = F.interpolate(
                    maps[model][kind][e][None, None].float(), size=(size, size), mode="nearest"
                )[0, 0]
                ax = axes[r, c + 1]
                ax.imshow(heat.numpy(), cmap="magma", interpolation="nearest")
                ax.contour(target[e].float().numpy(), levels=[0.5], colors="white", linewidths=0.6)
                ax.contour(
                    distractor[e].float().numpy(), levels=[0.5], colors="cyan", linewidths=0.6
                )
                ax.set_xticks([]), ax.set_yticks([])
                if r == 0:
                    ax.set_title(model, fontsize=plotting.SMALL, pad=2)
    fig.tight_layout(pad=0.15)
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png, width=0.9)
