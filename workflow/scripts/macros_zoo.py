"""Macros for every number the zoo section quotes."""

from pathlib import Path

import pandas as pd

from anatomy.latex import format_values, macros
from anatomy.runtime import snakemake_job
from anatomy.zoo_summary import macro_values

with snakemake_job(snakemake):
    values = macro_values(pd.read_parquet(snakemake.input.table))
    s = snakemake.params.settings
    values |= {
        "zooSteps": s["training"]["steps"],
        "zooWidth": s["training"]["d_model"],
        "zooLengthFactor": s["evaluation"]["length_factor"],
        "zooSeeds": len(s["seeds"]),
    }
    Path(snakemake.output.tex).write_text(
        macros(format_values(values), header="written by write_zoo_macros; do not edit")
    )
