"""Macros for every number the Layer B section quotes."""

from pathlib import Path

import pandas as pd

from anatomy.core.artifacts import load_torch
from anatomy.equivalent_forms.linear_kernels import macro_values
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import write_macros

with snakemake_job(snakemake):
    # figure/table name -> files; the macros read each result part once, by its file stem
    tables = {}
    for path in snakemake.input.tables:
        if path.endswith(".parquet"):
            stem = Path(path).stem
            tables["recall" if stem == "metrics" else stem] = pd.read_parquet(path)
    adjacency = [path for path in snakemake.input.tables if path.endswith("adjacency.pt")]
    maps = load_torch(adjacency[0])["maps"] if adjacency else []
    values = macro_values(tables, snakemake.params.settings["recall"], maps)
    write_macros(
        values,
        snakemake.output.tex,
        snakemake.output.values,
        "written by write_equivalent_forms_macros; do not edit",
    )
