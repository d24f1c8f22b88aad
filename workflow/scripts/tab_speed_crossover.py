"""Table: the sequence length from which each linear method stays faster than the best
softmax of the same kind, and its speed-up at the longest length measured."""

import pandas as pd

from anatomy.equivalent_forms.speed import crossover
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, fmt, fmt_int, tabular, write_table

with snakemake_job(snakemake):
    table = crossover(pd.read_parquet(snakemake.input.tables[0]))
    header = ["pass", "linear method", "against", "faster from n", "speed-up at longest n"]

    rows = [
        [
            r.mode.replace("_", " + "),
            code(r.method),
            ", ".join(code(m) for m in r.against.split(", ")),
            fmt_int(r.crossover) if pd.notna(r.crossover) else f"not up to {fmt_int(r.longest)}",
            fmt(r.speedup_at_longest, 2) + r"$\times$ at " + fmt_int(r.longest),
        ]
        for r in table.itertuples()
    ]
    write_table(snakemake.output, tabular(header, rows, "llp{4.2cm}rr"))
