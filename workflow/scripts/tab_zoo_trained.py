"""Table: what training made of softmax attention, per task with a known answer position: the
last layer's logit gap (the answer's score over the best other key) in range, at the largest
test size, and its slope against log n over every test size (slope 1 keeps the answer's weight
fixed as n grows); and the flip sensitivity n * TV in range and at the largest size. Means over
seeds with 95% t intervals; PARITY and Dyck-1 have no answer position and no gap."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import tabular, with_interval, write_table
from anatomy.zoo.summary import SHORT_NAMES, trained_measurements

with snakemake_job(snakemake):
    table = trained_measurements(pd.read_parquet(snakemake.input.table), "softmax")
    header = ["task", ("logit gap (nats)", 3), ("sensitivity $n\\,$TV", 2)]
    rows = [["", "in range", "largest $n$", "slope on $\\log n$", "in range", "largest $n$"]]

    def cell(row, column):
        value, half = row[column], row[f"{column}_ci"]
        return "---" if pd.isna(value) else with_interval(value, half)

    for _, r in table.iterrows():
        columns = [
            "logit_gap_in",
            "logit_gap_far",
            "gap_slope",
            "sensitivity_in",
            "sensitivity_far",
        ]
        rows.append([SHORT_NAMES.get(r.task, r.task)] + [cell(r, c) for c in columns])
    write_table(snakemake.output, tabular(header, rows, "lrrrrr"))
