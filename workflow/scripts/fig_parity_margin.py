"""Figure: the exact PARITY transformer's margin and cross-entropy against n."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.table)
    table["variant"] = np.where(table.layer_norm, "layer-norm fix", "plain")
    plotting.theme()
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 3.0))
    for variant, rows in table.groupby("variant"):
        left.loglog(rows.n, rows.margin, "o-", label=variant)
        right.semilogx(rows.n, rows.cross_entropy_bits, "o-", label=variant)
    n = np.array(sorted(table.n.unique()), float)
    left.loglog(n, 1 / (n + 1) ** 2, "k--", lw=1, label=r"$1/(n+1)^2$")
    left.set(xlabel="n (bits)", ylabel="margin |logit|", title="correct at every n")
    right.set(
        xlabel="n (bits)",
        ylabel="cross-entropy (bits)",
        ylim=(-0.05, 1.05),
        title="but ever less confident",
    )
    right.legend(
        *left.get_legend_handles_labels(), loc="upper left", bbox_to_anchor=(1.02, 1)
    )  # outside the data
    fig.tight_layout()
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png, width=0.85)
