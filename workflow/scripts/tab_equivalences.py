"""Table: each equivalence (RNN, GNN, static GAT) as a measured difference in float64
beside its tolerance."""

import math

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import fmt, tabular, write_table

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    sci = fmt

    rows = [
        [
            r.check.replace("_", r"\_"),
            sci(r.value),
            "--" if math.isnan(r.tolerance) else sci(r.tolerance),
            "--" if math.isnan(r.tolerance) else ("yes" if r.holds else "no"),
        ]
        for r in table.itertuples()
    ]
    write_table(
        snakemake.output,
        tabular(["check", "max difference or value", "tolerance", "holds"], rows, "lrrr"),
    )
