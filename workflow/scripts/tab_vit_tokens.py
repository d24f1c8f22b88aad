"""Table: the patch sweep at a fixed token count. Softmax models on the same token grid at
larger images and patches (each on held-out images of its own size): accuracy, mean attention
distance in pixels, in patches and as a share of the image side, and the final rollout's
margin on the target. Means over the training seeds with their 95% intervals; chance is one
over the number of shapes (the labels are drawn uniformly)."""

import pandas as pd

from anatomy.core.intervals import seed_means
from anatomy.core.shapes_data import SHAPES
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, fmt, fmt_int, tabular, with_interval, write_table

with snakemake_job(snakemake):
    table = seed_means(pd.read_parquet(snakemake.input.tables[0]))
    rows = [
        [
            code(r.model),
            fmt_int(r.size),
            fmt_int(r.patch),
            fmt_int(r.tokens),
            with_interval(r.accuracy, r.accuracy_ci),
            fmt(1 / len(SHAPES), 2),
            fmt(r.distance_px, 2),
            with_interval(r.distance_tokens, r.distance_tokens_ci),
            fmt(r.distance_image, 2),
            with_interval(r.margin, r.margin_ci),
        ]
        for r in table.itertuples()
    ]
    header = [
        "model",
        "image (px)",
        "patch",
        "tokens",
        "accuracy",
        "chance",
        "distance (px)",
        "(patches)",
        "/ image side",
        "rollout margin",
    ]
    write_table(snakemake.output, tabular(header, rows, "lrrrrrrrrr"))
