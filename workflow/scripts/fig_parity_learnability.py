"""Figure: PARITY trained at one fixed length n at a time: held-out accuracy per seed and its
mean against n (left axis), beside the exact construction's decision margin at n (right axis,
log scale). The margin story predicts the two falling together; a collapse between lengths
whose margins hardly differ points to optimisation instead."""

import matplotlib.pyplot as plt
import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    plotting.theme()
    fig, ax = plt.subplots(figsize=(4.6, 3.0))
    ax.scatter(table.n, table.accuracy, s=14, color="tab:blue", alpha=0.6, label="one seed")
    means = table.groupby("n").agg(accuracy=("accuracy", "mean"), margin=("margin", "first"))
    ax.plot(means.index, means.accuracy, color="tab:blue", marker="o", label="mean over seeds")
    ax.axhline(0.5, color="0.5", ls=":", lw=1, label="chance")
    ax.set(xlabel="training and test length n", ylabel="accuracy", ylim=(0.4, 1.02))
    twin = ax.twinx()
    twin.plot(means.index, means.margin, color="tab:red", marker="s", ls="--")
    twin.set_yscale("log")
    twin.set_ylabel("construction's margin", color="tab:red")
    twin.grid(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png, width=0.7)
