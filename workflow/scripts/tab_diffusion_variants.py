"""Table: main cause or modulator. The base model against a model that also gets the pooled
text in its time embedding and one trained with uniform cross-attention maps."""

from pathlib import Path

import pandas as pd

from anatomy.latex import fmt, fmt_int, tabular
from anatomy.runtime import snakemake_job

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    LABEL = {
        "base": "base (full run)",
        "base_short": "base",
        "pooled": "base + pooled text in time embedding",
        "uniform": "uniform maps in training",
    }
    header = ["model", "steps", "final loss", "colours present", "binding", "swapped", "position"]
    rows = [
        [
            LABEL.get(r.model, r.model),
            fmt_int(r.steps),
            fmt(r.final_loss, 3),
            fmt(r.present, 2),
            fmt(r.binding, 2),
            fmt(r.swapped, 2),
            fmt(r.position, 2),
        ]
        for r in table.itertuples()
    ]
    Path(snakemake.output.tex).write_text(tabular(header, rows, "lrrrrrr"))
