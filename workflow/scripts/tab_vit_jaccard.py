"""Table: does attention find the object? Each trained model's maps, thresholded at a share
of their mass, against the target and the distractor (Jaccard), beside a random map on the
same grid and the same model before training. Means over the training seeds; the margin's
spread is its 95% interval over seeds (with one seed, the standard error over images)."""

from pathlib import Path

import pandas as pd

from anatomy.intervals import seed_means
from anatomy.latex import code, fmt, tabular
from anatomy.runtime import snakemake_job

with snakemake_job(snakemake):
    table = seed_means(pd.read_parquet(snakemake.input.tables[0]))
    last = table.layer.max()

    def cells(r):
        spread = r.margin_ci if r.seeds > 1 else r.margin_sem
        return [
            fmt(r.jaccard_target, 2),
            fmt(r.jaccard_distractor, 2),
            f"{fmt(r.margin, 2)} $\\pm$ {fmt(spread, 2)}",
            fmt(r.mass_target / r.area_target, 2),
        ]

    rows = []
    for model in dict.fromkeys(table.model):
        mine = table[table.model == model]
        trained, init = mine[mine.state == "trained"], mine[mine.state == "init"]
        heads = trained[(trained.kind == "cls") & (trained["head_id"] != "mean")]
        best = heads.loc[heads.margin.idxmax()]
        picks = [
            (
                "[CLS], last layer",
                trained[
                    (trained.kind == "cls")
                    & (trained.layer == last)
                    & (trained["head_id"] == "mean")
                ].iloc[0],
            ),
            (f"[CLS], best head (layer {best.layer}, head {best['head_id']})", best),
            ("rollout", trained[(trained.kind == "rollout") & (trained.layer == last)].iloc[0]),
            ("rollout, untrained", init[(init.kind == "rollout") & (init.layer == last)].iloc[0]),
            ("random map", trained[trained.kind == "random"].iloc[0]),
        ]
        for i, (label, r) in enumerate(picks):
            rows.append([code(model) if i == 0 else "", label, *cells(r)])
    header = ["model", "map", "$J$ target", "$J$ distractor", "margin", "mass / area on target"]
    Path(snakemake.output.tex).write_text(tabular(header, rows, "llrrrr"))
