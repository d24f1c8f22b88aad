"""Figure: what each cross-attention layer contributes. Change in binding, colour presence
and position accuracy when that layer alone (or every layer) gets uniform maps (the routing
goes, the text stays) or the null context (the text goes)."""

import pandas as pd
import seaborn as sns

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    base = table[table.condition == "none"].iloc[0]
    rows = []
    for _, row in table[table.condition != "none"].iterrows():
        label = "all" if row.layer == "all" else f"{row['name']} ({row.resolution}px)"
        for metric in ("binding", "present", "position"):
            rows.append(
                {
                    "layer": label,
                    "ablation": row.condition,
                    "metric": metric,
                    "change": row[metric] - base[metric],
                }
            )
    frame = pd.DataFrame(rows)
    plotting.theme()
    grid = sns.catplot(
        data=frame,
        kind="bar",
        x="change",
        y="layer",
        hue="ablation",
        col="metric",
        height=2.6,
        aspect=0.9,
        palette="colorblind",
        orient="h",
    )
    for ax in grid.axes.flat:
        ax.axvline(0, color="0.3", linewidth=0.6)
    grid.set_axis_labels("change vs. none", "")
    grid.set_titles("{col_name}")
    # Below the panels, off the bars (at the printed width seaborn's right margin falls on a
    # panel): a figure legend that the constrained layout makes room for.
    handles = grid.legend.legend_handles
    labels = [text.get_text() for text in grid.legend.get_texts()]
    grid.legend.remove()
    grid.figure.set_layout_engine("constrained")
    grid.figure.legend(
        handles, labels, loc="outside lower center", ncol=2, frameon=False, title="ablation"
    )
    plotting.save(grid.figure, snakemake.output.pdf, snakemake.output.png)
