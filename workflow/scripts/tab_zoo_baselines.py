"""Table: each zoo task against its baselines, in range and at the largest test size: the
chance level and the majority class of the test samples, the content-free `uniform`
operator, softmax, and the best sparse and best kernel operator (the family's highest mean in
that cell, named; a maximum over the family, so its interval is that operator's alone).
Accuracy means over seeds with 95% t intervals."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, fmt, tabular, with_interval, write_table
from anatomy.zoo.summary import SHORT_NAMES, baselines

with snakemake_job(snakemake):
    table = baselines(pd.read_parquet(snakemake.input.table))
    header = ["task", "$n$", "chance", "majority", code("uniform"), code("softmax"),
              ("best sparse", 2), ("best kernel", 2)]  # fmt: skip
    rows = []
    for r in table.itertuples():
        cells = [
            SHORT_NAMES.get(r.task, r.task) if r.regime == "in" else "",
            "in range" if r.regime == "in" else str(int(r.size)),
        ]
        cells += [fmt(r.chance, 2), fmt(r.majority, 2)]
        cells += [with_interval(r.uniform, r.uniform_ci), with_interval(r.softmax, r.softmax_ci)]
        for fam in ("sparse", "kernel"):
            name = getattr(r, f"{fam}_operator")
            cells += [
                code(name) if name else "---",
                with_interval(getattr(r, f"{fam}_best"), getattr(r, f"{fam}_ci")),
            ]
        rows.append(cells)
    write_table(snakemake.output, tabular(header, rows, "llrrrrlrlr"))
