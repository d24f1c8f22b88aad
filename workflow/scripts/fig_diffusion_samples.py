"""Figure: samples for held-out prompts, each titled with its prompt and the checker's read
(ok: both colours on their own shapes; swap: colours exchanged between the shapes; miss:
anything else, such as a missing colour or an unreadable shape)."""

import pandas as pd

from anatomy.core.artifacts import load_torch
from anatomy.core.shapes_data import caption_lines
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.tables[0])
    extras = load_torch(snakemake.input.tables[1])
    rows = table.head(len(extras["images"]))
    titles = [
        caption_lines(r.caption) + "\n" + ("ok" if r.binding else "swap" if r.swapped else "miss")
        for r in rows.itertuples()
    ]
    fig, _ = plotting.image_grid(extras["images"], titles, ncols=8, size=0.95)
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
