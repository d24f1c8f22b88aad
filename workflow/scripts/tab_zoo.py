"""Table: the zoo, task x operator, accuracy in distribution and at the largest test size."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, fmt, stacked, tabular, write_table
from anatomy.zoo.summary import SHORT_NAMES, accuracy_by_regime

OPERATORS_PER_BLOCK = 4  # column pairs side by side; more operators (the gpu profile) stack

with snakemake_job(snakemake):
    metrics = pd.read_parquet(snakemake.input.table)
    table = accuracy_by_regime(metrics)
    ci = accuracy_by_regime(metrics, "ci95")  # NaN with one seed: the cell shows the mean alone
    tasks = list(dict.fromkeys(task for task, _ in table.columns))

    def cell(op, task, regime):
        m, h = table.loc[op, (task, regime)], ci.loc[op, (task, regime)]
        return fmt(float(m), 2) + ("" if pd.isna(h) else rf"${{\pm}}${fmt(float(h), 1)}")

    def block(operators):
        header = ["task"] + [(code(op), 2) for op in operators]
        sub = [""] + ["in", "far"] * len(operators)
        rows = [
            [SHORT_NAMES.get(t, t)] + [cell(op, t, r) for op in operators for r in ("in", "far")]
            for t in tasks
        ]
        return tabular(header, rows, "l" + "rr" * len(operators), subheader=sub)

    ops = list(table.index)
    blocks = [ops[i : i + OPERATORS_PER_BLOCK] for i in range(0, len(ops), OPERATORS_PER_BLOCK)]
    # The note: blocks of operators, one under the other; the report: one table, it scrolls.
    write_table(snakemake.output, stacked([block(b) for b in blocks]), html=block(ops))
