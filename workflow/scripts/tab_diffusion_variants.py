"""Table: main cause or modulator. The base model against a model that also gets the pooled
text in its time embedding and one trained with uniform cross-attention maps: means over the
training seeds, each with its 95% interval over seeds."""

import pandas as pd

from anatomy.core.intervals import seed_means
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, fmt_int, tabular, with_interval, write_table

with snakemake_job(snakemake):
    table = seed_means(pd.concat(pd.read_parquet(p) for p in snakemake.input.tables))
    LABEL = {
        "base": "base (full run)",
        "base_short": "base",
        "pooled": "base + pooled text in time embedding",
        "uniform": "uniform maps in training",
        "sparsemax": "sparsemax maps",
        "entmax15": "1.5-entmax maps",
    }

    def cell(r, column, digits):
        return with_interval(getattr(r, column), getattr(r, f"{column}_ci"), digits)

    header = ["model", "steps", "final loss", "colours present", "binding", "swapped", "position"]
    rows = [
        [
            LABEL.get(r.model, code(r.model)),
            fmt_int(r.steps),
            cell(r, "final_loss", 3),
            cell(r, "present", 2),
            cell(r, "binding", 2),
            cell(r, "swapped", 2),
            cell(r, "position", 2),
        ]
        for r in table.itertuples()
    ]
    write_table(snakemake.output, tabular(header, rows, "lrrrrrr"))
