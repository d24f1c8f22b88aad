"""Figure: when is binding decided? Left: binding and colour presence with the null context
after (or before) a fraction of the sampling steps, and with the cross-attention output
cached from that step on. Right: the colour words' binding margin per layer against the
noise timestep."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    windows = pd.read_parquet(snakemake.input.tables[0])
    maps = pd.read_parquet(snakemake.input.tables[2])
    plotting.theme()
    # Three panels over a row that holds their keys, outside the data.
    fig = plt.figure(figsize=(plotting.TEXT_WIDTH, 3.7), layout="constrained")
    grid = fig.add_gridspec(2, 3, height_ratios=[3, 1])
    axes = [fig.add_subplot(grid[0, i]) for i in range(3)]
    key = fig.add_subplot(grid[1, :])
    key.axis("off")
    for ax, metric in zip(axes[:2], ("binding", "present"), strict=True):
        sns.lineplot(
            data=windows,
            x="fraction",
            y=metric,
            hue="condition",
            style="condition",
            markers=True,
            palette="colorblind",
            ax=ax,
            legend=metric == "binding",
        )
        ax.set(xlabel="switch point\n(share of sampling steps)", ylabel=metric, ylim=(-0.02, 1.02))
    words = maps[maps.word.isin(["colour1", "colour2"]) & (maps.layer != "all")]
    words = words.assign(layer=words["name"] + " (" + words.resolution.astype(str) + "px)")
    sns.lineplot(
        data=words,
        x="timestep",
        y="margin",
        hue="layer",
        palette="colorblind",
        marker="o",
        errorbar=None,
        ax=axes[2],
    )
    summed = maps[maps.word.isin(["colour1", "colour2"]) & (maps.layer == "all")]
    axes[2].plot(
        summed.groupby("timestep").margin.mean(), color="black", linewidth=2, label="all layers"
    )
    axes[2].axhline(0, color="0.5", linewidth=0.6)
    axes[2].set(
        xlabel="noise timestep\n(999 = pure noise)", ylabel="binding margin\n(IoU own - other)"
    )
    conditions = axes[0].get_legend_handles_labels()
    layers = axes[2].get_legend_handles_labels()
    for ax in (axes[0], axes[2]):
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    left = key.legend(*conditions, loc="upper left", frameon=False, title="left and centre")
    key.add_artist(left)
    key.legend(*layers, loc="upper right", ncol=3, frameon=False, title="right")
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
