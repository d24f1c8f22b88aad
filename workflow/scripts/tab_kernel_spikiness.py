"""Table: what each kernel keeps of softmax: spikiness (row entropy, largest weight, exact
zeros) and monotonicity (Spearman correlation of the weight with q.k), same inputs."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, fmt, tabular, write_table

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    header = [
        "operator",
        "kernel",
        "normalizer",
        "entropy / log n",
        "max weight",
        "zeros",
        "Spearman(q.k, w)",
    ]

    def cell(x):
        return "--" if pd.isna(x) else fmt(float(x), 2)  # "--": constant rows have no rank order

    rows = [
        [
            code(r.operator),
            code(r.kernel),
            code(r.normalizer),
            cell(r.entropy),
            cell(r.max_weight),
            cell(r.zero_fraction),
            cell(r.spearman),
        ]
        for r in table.itertuples()
    ]
    write_table(snakemake.output, tabular(header, rows, "lllrrrr"))
