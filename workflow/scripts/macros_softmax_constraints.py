"""Macros for every number the softmax-constraints section quotes."""

import json
from pathlib import Path

import pandas as pd

from anatomy.latex import format_values, macros
from anatomy.runtime import snakemake_job
from anatomy.softmax_constraints import macro_values

with snakemake_job(snakemake):
    sharpness_meta = json.loads(Path(snakemake.input.sharpness_meta).read_text())
    properties_meta = json.loads(Path(snakemake.input.properties_meta).read_text())
    values = macro_values(
        pd.read_parquet(snakemake.input.sharpness),
        pd.read_parquet(snakemake.input.properties),
        sharpness_meta["settings"]["gap"],
    )
    settings = properties_meta["settings"]
    values |= {
        "scPropN": settings["n"],
        "scPropD": settings["d"],
        "scPropTrials": settings["trials"],
    }
    Path(snakemake.output.tex).write_text(
        macros(format_values(values), header="written by write_softmax_macros; do not edit")
    )
