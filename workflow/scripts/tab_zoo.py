"""Table: the zoo, operator x task, accuracy in distribution and at the largest test size."""

import pandas as pd

from anatomy.latex import code, fmt, tabular, write_table
from anatomy.runtime import snakemake_job
from anatomy.zoo_summary import SHORT_NAMES, accuracy_by_regime

with snakemake_job(snakemake):
    metrics = pd.read_parquet(snakemake.input.table)
    table = accuracy_by_regime(metrics)
    ci = accuracy_by_regime(metrics, "ci95")  # NaN with one seed: the cell shows the mean alone
    tasks = list(dict.fromkeys(task for task, _ in table.columns))
    header = ["operator"] + [(SHORT_NAMES.get(t, t), 2) for t in tasks]
    sub = [""] + ["in", "far"] * len(tasks)
    rows = [
        [code(op)]
        + [
            fmt(float(m), 2) + ("" if pd.isna(h) else rf"${{\pm}}${fmt(float(h), 1)}")
            for m, h in zip(table.loc[op], ci.loc[op], strict=True)
        ]
        for op in table.index
    ]
    write_table(snakemake.output, tabular(header, rows, "l" + "rr" * len(tasks), subheader=sub))
