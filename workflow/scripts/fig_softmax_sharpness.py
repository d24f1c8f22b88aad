"""Figure: target weight, entropy and support against n, one column per distractor noise."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting
from anatomy.softmax_constraints.measures import softmax_target_weight

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.table)
    gap = json.loads(open(snakemake.input.meta).read())["settings"]["gap"]
    table = table[table.metric.isin(["target_weight", "normalized_entropy", "support"])].copy()
    support = table.metric == "support"
    table.loc[support, "value"] = table.loc[support, "value"] / table.loc[support, "n"]

    plotting.theme()
    rows = {
        "target_weight": "weight on target",
        "normalized_entropy": "entropy / log n",
        "support": "support / n",
    }
    noises = sorted(table.noise_std.unique())
    palette = plotting.operator_palette(table.normalizer.unique())
    fig, axes = plt.subplots(
        len(rows),
        len(noises),
        figsize=(3.0 * len(noises), 6.2),
        sharex=True,
        sharey="row",
        squeeze=False,
    )
    ns = np.array(sorted(table.n.unique()))
    for j, noise in enumerate(noises):
        for i, (metric, label) in enumerate(rows.items()):
            ax = axes[i, j]
            cell = table[(table.metric == metric) & (table.noise_std == noise)]
            # Sparse normalizers coincide at weight 1; distinct dashes and markers keep all visible.
            sns.lineplot(
                data=cell,
                x="n",
                y="value",
                hue="normalizer",
                style="normalizer",
                palette=palette,
                markers=True,
                dashes=True,
                markersize=5,
                alpha=0.85,
                errorbar=("ci", 95),
                seed=0,  # the bootstrap behind the bands: fixed, so figures are byte-identical
                ax=ax,
                legend=(i == 0 and j == 0),
            )
            if metric == "target_weight":
                ax.plot(
                    ns,
                    softmax_target_weight(gap, ns),
                    "k--",
                    lw=1,
                    label=r"$e^{\Delta}/(e^{\Delta}+n-1)$",
                )
            ax.set(xscale="log", ylabel=label if j == 0 else "", xlabel="n (items)")
            if metric != "normalized_entropy":
                ax.set_yscale("log")
            if i == 0:
                ax.set_title(f"distractor noise std {noise:g}, gap {gap:g}")
    # One legend for every panel, outside the data (right of the top row).
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if axes[0, 0].get_legend() is not None:
        axes[0, 0].get_legend().remove()
    axes[0, -1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png, width=0.92)
