"""Table: the normalizer in cross-attention. The base model (softmax weights) against models
trained with sparsemax and 1.5-entmax cross-attention at the same budget and seeds: binding,
colour presence and the colour words' maps on held-out prompts, and each one's paired
difference in binding from softmax (the same seed's split, prompts and noise on both sides)."""

import pandas as pd

from anatomy.diffusion.layer_map import normalizer_comparison
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, fmt_int, tabular, with_interval, write_table

with snakemake_job(snakemake):
    per_seed = pd.concat(pd.read_parquet(p) for p in snakemake.input.tables)
    table = normalizer_comparison(per_seed)
    header = [
        "cross-attention weights",
        "steps",
        "colours present",
        "binding",
        r"$\Delta$binding vs.\ softmax",
        "colour-map mIoU",
        "map margin",
    ]
    rows = [
        [
            code(r.operator),
            fmt_int(r.steps),
            with_interval(r.present, r.present_ci),
            with_interval(r.binding, r.binding_ci),
            "---" if r.operator == "softmax" else with_interval(r.binding_diff, r.binding_diff_ci),
            with_interval(r.miou, r.miou_ci),
            with_interval(r.map_margin, r.map_margin_ci),
        ]
        for r in table.itertuples()
    ]
    write_table(snakemake.output, tabular(header, rows, "lrrrrrr"))
