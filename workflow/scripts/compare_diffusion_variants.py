"""Main cause or modulator, and the normalizer, for one training seed: the base model against
the pooled-text, uniform-map, sparsemax and 1.5-entmax variants on that seed's held-out prompts
(samples and colour-word maps). The probed base model's samples come from its samples
measurement (same prompts, same noise); other seeds' base models are sampled."""

from pathlib import Path

import pandas as pd

from anatomy.diffusion.measurements import compare_variants
from anatomy.diffusion.model import load
from anatomy.diffusion.settings import DiffusionSettings
from anatomy.pipeline.runtime import snakemake_job

with snakemake_job(snakemake) as ctx:
    offset = int(snakemake.wildcards.seed)
    # Folders and histories are <variant>/seed<N>: the variant is the parent's name.
    models = {Path(f).parent.name: load(f, ctx.device) for f in snakemake.input.models}
    histories = {Path(h).parent.name: pd.read_parquet(h) for h in snakemake.input.histories}
    samples = snakemake.input.samples
    measured = {"base": pd.read_parquet(samples[0])} if samples else {}
    s = DiffusionSettings.of(ctx.settings)
    table = compare_variants(models, histories, s, ctx.seed + offset, measured)
    table.assign(seed=offset).to_parquet(snakemake.output.table, index=False)
