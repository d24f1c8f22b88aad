"""Table: from the Layer A zoo, each kernel's in-range accuracy on a content task against a
purely positional one."""

import pandas as pd

from anatomy.equivalent_forms.linear_kernels import recall_against_position
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, fmt, tabular, write_table

with snakemake_job(snakemake):
    s = snakemake.params.settings["recall"]
    table = recall_against_position(
        pd.read_parquet(snakemake.input.tables[0]), s["content_task"], s["position_task"]
    )
    content, position = (s[k].replace("_", " ") for k in ("content_task", "position_task"))
    rows = [
        [
            code(r.operator),
            fmt(r.content, 2),
            fmt(r.position, 2),
            fmt(r.gap, 2),
        ]
        for r in table.itertuples()
    ]
    write_table(
        snakemake.output,
        tabular(["kernel", f"{content} (content)", f"{position} (position)", "gap"], rows, "lrrr"),
    )
