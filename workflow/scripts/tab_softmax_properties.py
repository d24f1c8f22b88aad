"""Table: structural properties of one self-attention layer, property x operator."""

from pathlib import Path

import pandas as pd

from anatomy.latex import fmt, tabular
from anatomy.softmax_constraints import PROPERTY_SUMMARY, summarize_properties

summary = summarize_properties(pd.read_parquet(snakemake.input.table))
header = ["property (aggregate over trials)"] + [rf"\texttt{{{op}}}" for op in summary.columns]
rows = [
    [f"{PROPERTY_SUMMARY[prop][1]} ({PROPERTY_SUMMARY[prop][0]})"]
    + [fmt(float(v), 2) for v in summary.loc[prop]]
    for prop in summary.index
]
Path(snakemake.output.tex).write_text(tabular(header, rows, "l" + "r" * len(summary.columns)))
