"""Figure: mean attention distance against depth (the ViT paper's Fig. 7): every head of every
training seed a dot, their mean a line, at initialization (grey) and after training, one panel
per model; the dotted line is uniform attention over the patches. The axis starts at 0, where
a perfectly local head would sit."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    models = list(dict.fromkeys(table.model))
    plotting.theme()
    fig, axes = plt.subplots(
        1, len(models), figsize=(1.55 * len(models) + 0.6, 2.3), sharey=True, squeeze=False
    )
    for ax, model in zip(axes[0], models, strict=True):
        rows = table[table.model == model]
        for state, colour in (("init", "0.6"), ("trained", sns.color_palette("colorblind")[0])):
            part = rows[rows.state == state]
            ax.scatter(
                part.layer + (0.12 if state == "trained" else -0.12),
                part.distance_ratio,
                s=7,
                color=colour,
                alpha=0.7,
                linewidths=0,
            )
            mean = part.groupby("layer").distance_ratio.mean()
            ax.plot(mean.index, mean.values, color=colour, lw=1.2, label=state)
        ax.axhline(1.0, color="0.3", lw=0.7, ls=":")
        patch = int(rows.patch.iloc[0])
        ax.set(title=f"{model}", xlabel="layer", xticks=sorted(rows.layer.unique()))
        ax.title.set_fontsize(7)
        uniform = rows.uniform_px.iloc[0]
        ax.text(
            0.03,
            0.03,
            f"uniform = {uniform:.1f} px\n= {uniform / patch:.1f} patches",
            transform=ax.transAxes,
            fontsize=plotting.SMALL,
        )
    axes[0, 0].set_ylabel("distance / uniform")
    # From 0, where a local head would sit.
    axes[0, 0].set_ylim(0, max(1.1, table.distance_ratio.max() * 1.05))
    axes[0, -1].legend(loc="upper left", bbox_to_anchor=(1.02, 1))  # outside the data
    fig.tight_layout(pad=0.3)
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
