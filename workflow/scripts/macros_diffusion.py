"""Macros for every number the diffusion section quotes
(:func:`anatomy.diffusion.summary.section_values`)."""

from pathlib import Path

import pandas as pd

from anatomy.core.artifacts import load_torch
from anatomy.diffusion.settings import DiffusionSettings
from anatomy.diffusion.summary import section_values
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import format_values, macros

with snakemake_job(snakemake):
    variants = snakemake.input.variants
    values = section_values(
        {Path(p).stem: pd.read_parquet(p) for p in snakemake.input.tables},
        {Path(p).stem: load_torch(p) for p in snakemake.input.extras},
        DiffusionSettings.of(snakemake.params.settings),
        snakemake.params.probed_seed,
        snakemake.input.seeds,
        pd.concat(pd.read_parquet(p) for p in variants) if variants else None,
        snakemake.input.variant_layers,
    )
    Path(snakemake.output.tex).write_text(
        macros(format_values(values), header="written by write_diffusion_macros; do not edit")
    )
