"""Macros for every number the ViT section quotes (:func:`anatomy.vit.summary.section_values`)."""

from pathlib import Path

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import format_values, macros
from anatomy.vit.settings import ViTSettings
from anatomy.vit.summary import section_values

with snakemake_job(snakemake):
    values = section_values(
        {Path(p).stem: pd.read_parquet(p) for p in snakemake.input.tables},
        pd.concat(pd.read_parquet(p) for p in snakemake.input.histories),
        pd.read_parquet(snakemake.input.tokens),
        ViTSettings.of(snakemake.params.settings),
        [pd.read_parquet(p) for p in snakemake.input.pretrained if p.endswith(".parquet")],
    )
    Path(snakemake.output.tex).write_text(
        macros(format_values(values), header="written by write_vit_macros; do not edit")
    )
