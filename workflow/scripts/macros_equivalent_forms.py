"""Macros for every number the Layer B section quotes."""

from pathlib import Path

import pandas as pd
import torch

from anatomy.latex import format_values, macros
from anatomy.linear_kernels import macro_values

# figure/table name -> files; the macros read each result part once, by its file stem
tables = {}
for path in snakemake.input.tables:
    if path.endswith(".parquet"):
        stem = Path(path).stem
        tables["recall" if stem == "metrics" else stem] = pd.read_parquet(path)
adjacency = [path for path in snakemake.input.tables if path.endswith("adjacency.pt")]
maps = torch.load(adjacency[0], weights_only=False)["maps"] if adjacency else []
values = macro_values(tables, snakemake.params.settings["recall"], maps)
Path(snakemake.output.tex).write_text(
    macros(format_values(values), header="written by write_equivalent_forms_macros; do not edit")
)
