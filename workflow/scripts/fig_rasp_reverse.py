"""Figure: a RASP program (reverse) compiled to one attention layer, run with every operator of
the registry: the program's accuracy (left) and the weight on the selected key (right) against
the sequence length; the dotted line is the length scale at which softmax stops running the
program, n = vocab e^(2 beta) / 2 (a wrong token outnumbering the right one by e^beta among the
other keys)."""

import pandas as pd

from anatomy.expressivity.rasp import softmax_breaking_length
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.table)
    beta, vocab = float(table.beta.iloc[0]), int(table.vocab.iloc[0])
    long = table.melt(
        id_vars=["operator", "n"],
        value_vars=["accuracy", "selected_weight"],
        var_name="quantity",
        value_name="value",
    )
    fig, axes = plotting.line_panels(
        long,
        "n",
        "value",
        hue="operator",
        col="quantity",
        logy=False,
        xlabel="sequence length n",
        ylabel="",
        ylim=(-0.02, 1.02),
    )
    for ax in axes.flat:
        ax.axvline(softmax_breaking_length(beta, vocab), color="0.5", lw=0.8, ls=":")
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
