"""Figure: geometric stability. Each trained ViT's last [CLS] map and rollout when the image
moves by 1 pixel up to a few patches (circularly): the equivariance error (total variation
between the map of the moved image and the moved map; grey, the same for a map that ignored
the move) and how much of the move the map's centroid follows (1: all of it). Means over the
training seeds, with their 95% intervals as bands."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from anatomy.core.intervals import seed_means
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = seed_means(pd.read_parquet(snakemake.input.tables[0]))
    models = list(dict.fromkeys(table.model))
    palette = dict(zip(models, sns.color_palette("colorblind", len(models)), strict=True))
    plotting.theme()
    metrics = [
        ("equivariance_error", "equivariance error"),
        ("tracking", "centroid follows"),
    ]
    kinds = [("cls", "[CLS], last layer"), ("rollout", "rollout")]
    fig, axes = plt.subplots(
        len(metrics), len(kinds), figsize=(6.4, 4.2), sharex=True, squeeze=False
    )
    for r, (metric, ylabel) in enumerate(metrics):
        for c, (kind, title) in enumerate(kinds):
            ax = axes[r, c]
            for model in models:
                part = table[(table.model == model) & (table.kind == kind)]
                ax.plot(
                    part.shift_patches,
                    part[metric],
                    marker="o",
                    ms=3,
                    lw=1,
                    color=palette[model],
                    label=model,
                )
                if part.seeds.max() > 1:
                    ax.fill_between(
                        part.shift_patches,
                        part[metric] - part[f"{metric}_ci"],
                        part[metric] + part[f"{metric}_ci"],
                        color=palette[model],
                        alpha=0.15,
                        lw=0,
                    )
                if metric == "equivariance_error":  # dashed: a map that ignored the move
                    ax.plot(
                        part.shift_patches, part.static_error, lw=0.7, ls="--", color=palette[model]
                    )
            for whole in range(1, int(table.shift_patches.max()) + 1):
                ax.axvline(whole, color="0.8", lw=0.6, zorder=0)
            ax.set(ylabel=ylabel if c == 0 else "", title=title if r == 0 else "")
            if r == len(metrics) - 1:
                ax.set_xlabel("shift (patches of the model)")
    axes[1, 0].axhline(1.0, color="0.3", lw=0.7, ls=":")
    axes[1, 1].axhline(1.0, color="0.3", lw=0.7, ls=":")
    axes[0, -1].legend(fontsize=plotting.SMALL, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout(pad=0.3)
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png, width=0.9)
