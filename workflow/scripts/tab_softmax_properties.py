"""Table: structural properties of one self-attention layer, one row per operator."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, fmt, tabular, write_table
from anatomy.softmax_constraints.measures import PROPERTY_SUMMARY, summarize_properties

with snakemake_job(snakemake):
    summary = summarize_properties(pd.read_parquet(snakemake.input.table))
    header = ["operator"] + [PROPERTY_SUMMARY[p][1] for p in summary.index]
    rows = []
    for name in summary.columns:
        rows.append([code(name)] + [fmt(float(v), 2) for v in summary[name]])
    write_table(snakemake.output, tabular(header, rows, "l" + "r" * len(summary.index)))
