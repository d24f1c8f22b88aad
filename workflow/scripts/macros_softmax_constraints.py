"""Macros for every number the softmax-constraints section quotes."""

import json
from pathlib import Path

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import write_macros
from anatomy.softmax_constraints.measures import PUBLISHED_GAP, gap_values, macro_values

with snakemake_job(snakemake):
    sharpness_meta = json.loads(Path(snakemake.input.sharpness_meta).read_text())
    properties_meta = json.loads(Path(snakemake.input.properties_meta).read_text())
    values = macro_values(
        pd.read_parquet(snakemake.input.sharpness),
        pd.read_parquet(snakemake.input.properties),
        sharpness_meta["settings"]["gap"],
    )
    ns = json.loads(Path(snakemake.input.gap_meta).read_text())["settings"]["ns"]
    values |= gap_values(pd.read_parquet(snakemake.input.gap), PUBLISHED_GAP, (min(ns), max(ns)))
    settings = properties_meta["settings"]
    values |= {
        "scPropN": settings["n"],
        "scPropD": settings["d"],
        "scPropTrials": settings["trials"],
    }
    write_macros(
        values,
        snakemake.output.tex,
        snakemake.output.values,
        "written by write_softmax_macros; do not edit",
    )
