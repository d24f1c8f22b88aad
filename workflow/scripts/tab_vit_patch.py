"""Table: patch size. Every model at the patch size it was trained with, and the reference
model re-patchified (timm set_input_size) to the other sizes: accuracy, mean attention
distance in pixels, in patches and against uniform attention, and the rollout's margin.
Means over the training seeds; accuracy with its 95% interval over seeds."""

import pandas as pd

from anatomy.core.intervals import seed_means
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, fmt, fmt_int, tabular, with_interval, write_table

with snakemake_job(snakemake):
    table = seed_means(pd.read_parquet(snakemake.input.tables[0]))
    rows = [
        [
            code(r.model),
            "trained" if r.kind == "native" else f"re-patchified from {r.trained_patch}",
            fmt_int(r.patch),
            fmt_int(r.tokens),
            with_interval(r.accuracy, r.accuracy_ci),
            fmt(r.distance_px, 1),
            fmt(r.distance_tokens, 2),
            fmt(r.distance_ratio, 2),
            fmt(r.margin, 2),
        ]
        for r in table.itertuples()
    ]
    header = [
        "model",
        "patches",
        "patch",
        "tokens",
        "accuracy",
        "distance (px)",
        "(patches)",
        "/ uniform",
        "rollout margin",
    ]
    write_table(snakemake.output, tabular(header, rows, "llrrrrrrr"))
