"""Table: per-layer prompts (P+). Prompt B in one group of layers, prompt A elsewhere: how
often the image shows B's colours, binds as B says, and places objects as B says."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import fmt, tabular, write_table

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    wide = table.pivot(index="group", columns="prompt", values=["colours", "binding", "position"])
    order = list(dict.fromkeys(table.group))
    header = ["B in layers", "layers", ("colours of", 2), ("binding of", 2), ("position of", 2)]
    rows = [["", ""] + ["A", "B"] * 3]
    for group in order:
        n = int(table[table.group == group].layers.iloc[0])
        label = "none (all A)" if group == "none" else group.replace("x", r"$\times$")
        rows.append(
            [label, str(n)]
            + [
                fmt(float(wide.loc[group, (m, p)]), 2)
                for m in ("colours", "binding", "position")
                for p in "AB"
            ]
        )
    write_table(snakemake.output, tabular(header, rows, "lrrrrrrr"))
