"""Figure: cross-attention maps of the colour words, per layer, beside the scene; the word's
own object outlined in white, the other object in black (noised held-out scenes)."""

import matplotlib.pyplot as plt

from anatomy.core.artifacts import load_torch
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    extras = load_torch(snakemake.input.tables[1])
    maps, images, masks = extras["maps"], extras["images"], extras["masks"]
    layers = list(maps)
    examples = min(2, len(images))
    words = [(0, 0), (2, 1)]  # (map of colour 1 / colour 2, index of its own object)
    plotting.theme()
    rows = examples * len(words)
    fig, axes = plt.subplots(
        rows, len(layers) + 2, figsize=(0.9 * (len(layers) + 2), 0.95 * rows), squeeze=False
    )
    for e in range(examples):
        caption = extras["captions"][e]
        for w, (index, own) in enumerate(words):
            r = e * len(words) + w
            word = caption.split()[1] if own == 0 else caption.split()[-2]
            plotting.show_image(axes[r, 0], images[e], f"'{word}'")
            total = sum(maps[layer][e, index] for layer in layers)
            for c, (name, heat) in enumerate(
                [(n, maps[n][e, index]) for n in layers] + [("all", total)]
            ):
                ax = axes[r, c + 1]
                ax.imshow(heat.numpy(), cmap="magma", interpolation="bilinear")
                ax.contour(
                    masks[e, own].float().numpy(), levels=[0.5], colors="white", linewidths=0.6
                )
                ax.contour(
                    masks[e, 1 - own].float().numpy(), levels=[0.5], colors="black", linewidths=0.6
                )
                ax.set_xticks([]), ax.set_yticks([])
                if r == 0:
                    ax.set_title(name, fontsize=plotting.SMALL, pad=2)
    fig.suptitle(f"token maps at timestep {extras['timestep']}", fontsize=7, y=1.0)
    fig.tight_layout(pad=0.2)
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
