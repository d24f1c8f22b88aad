"""Figure: Prompt-to-Prompt word swap. Top row: source samples (four prompts); below, the
edited prompt (first colour changed) with the source maps injected for the first tau of the
steps; right: edit success and layout kept against tau."""

import matplotlib.pyplot as plt
import pandas as pd

from anatomy.core.artifacts import load_torch
from anatomy.core.shapes_data import caption_lines
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    extras = load_torch(snakemake.input.tables[1])
    grids = extras["grids"]
    taus = [k for k in grids if k != "source"]
    columns = min(4, len(grids["source"]))  # four prompts: their titles fit at print size
    plotting.theme()
    fig = plt.figure(figsize=(plotting.TEXT_WIDTH, 0.85 * len(taus) + 1.5), layout="constrained")
    sub = fig.subfigures(1, 2, width_ratios=[0.85 * columns, 2.9])
    axes = sub[0].subplots(len(taus) + 1, columns, squeeze=False)
    for c in range(columns):
        title = (
            caption_lines(extras["captions"][0][c]) + "\n-> " + extras["captions"][1][c].split()[1]
        )
        plotting.show_image(axes[0, c], grids["source"][c], title)
        for r, tau in enumerate(taus, start=1):
            plotting.show_image(axes[r, c], grids[tau][c])
    for r, tau in enumerate(taus, start=1):
        axes[r, 0].set_ylabel(f"tau={tau:g}", fontsize=plotting.SMALL)
    axes[0, 0].set_ylabel("source", fontsize=plotting.SMALL)
    ax = sub[1].subplots()
    ax.plot(table.tau, table.edit_binding, marker="o", label="edit binds the new colour")
    ax.plot(
        table.tau, table.layout_iou_kept, marker="s", label="layout kept (IoU, unedited object)"
    )
    ax.plot(
        table.tau, table.layout_iou_edited, marker="^", label="layout kept (IoU, edited object)"
    )
    ax.set(xlabel="tau (share of steps with source maps)", ylim=(-0.02, 1.02))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)  # below the data
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
