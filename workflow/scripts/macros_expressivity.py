"""Macros for every number the expressivity section quotes."""

import pandas as pd

from anatomy.expressivity.summary import macro_values
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import write_macros

with snakemake_job(snakemake):
    tables = {part: pd.read_parquet(path) for part, path in snakemake.params.tables.items()}
    values = macro_values(tables)
    s = snakemake.params.settings
    values |= {
        "exCollapseN": s["rank_collapse"]["n"],
        "exCollapseD": s["rank_collapse"]["d"],
        "exLipN": s["lipschitz"]["n"],
        "exLipD": s["lipschitz"]["d"],
    }
    write_macros(
        values,
        snakemake.output.tex,
        snakemake.output.values,
        "written by write_expressivity_macros; do not edit",
    )
