"""Table: the layer map. Every cross-attention layer with its resolution, how well its
colour-word maps sit on the word's own object, what ablating it costs, the size of its
update, and the role the stated rule gives it."""

from pathlib import Path

import pandas as pd

from anatomy.diffusion_analysis import layer_map
from anatomy.latex import fmt, tabular
from anatomy.runtime import snakemake_job

with snakemake_job(snakemake):
    maps = pd.read_parquet(snakemake.input.tables[0])
    ablations = pd.read_parquet(snakemake.input.tables[2])
    norms = pd.read_parquet(snakemake.input.tables[4])
    table = layer_map(maps, ablations, snakemake.params.settings["analysis"])
    ratio = norms.groupby("layer").update_ratio.mean()
    header = [
        "layer",
        "res.",
        "mIoU",
        "margin",
        r"$\Delta$bind (unif.)",
        r"$\Delta$bind (null)",
        r"$\Delta$present (null)",
        "update",
        "role",
    ]
    rows = [
        [
            rf"\texttt{{{r['name']}}}",
            f"{r.resolution}",
            fmt(r.miou, 2),
            fmt(r.margin, 2),
            fmt(-r.uniform_binding_drop, 2),
            fmt(-r.null_binding_drop, 2),
            fmt(-r.null_presence_drop, 2),
            fmt(float(ratio[r.layer]), 2),
            r"\textbf{binding}" if r.role == "binding" else "modulation",
        ]
        for _, r in table.iterrows()
    ]
    Path(snakemake.output.tex).write_text(tabular(header, rows, "lrrrrrrrl"))
