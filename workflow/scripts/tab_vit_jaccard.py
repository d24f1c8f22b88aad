"""Table: does attention find the object? Each trained model's maps, thresholded at a share
of their mass, against the target and the distractor (Jaccard), beside the baselines on the
same grid: the same model before training, a random map, and maps that know where the objects
are but not which one the label needs (brightness, both objects weighted equally, the average
target position). Means over the training seeds; the margin's spread is its 95% interval over
seeds (with one seed, the standard error over images)."""

import pandas as pd

from anatomy.core.intervals import seed_means
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, fmt, tabular, with_interval, write_table

with snakemake_job(snakemake):
    raw = pd.read_parquet(snakemake.input.tables[0])
    table = seed_means(raw)
    last = table.layer.max()
    # The best head is chosen in each seed (heads are not matched across seeds), then its
    # numbers are averaged over the seeds like every other row.
    cls_heads = raw[(raw.state == "trained") & (raw.kind == "cls") & (raw["head_id"] != "mean")]
    best_rows = cls_heads.loc[cls_heads.groupby(["model", "seed"]).margin.idxmax()]
    best_heads = seed_means(best_rows.drop(columns=["layer", "head_id"])).set_index("model")

    def cells(r):
        spread = r.margin_ci if r.seeds > 1 else r.margin_sem
        return [
            fmt(r.jaccard_target, 2),
            fmt(r.jaccard_distractor, 2),
            with_interval(r.margin, spread),
            fmt(r.mass_target / r.area_target, 2),
        ]

    rows = []
    for model in dict.fromkeys(table.model):
        mine = table[table.model == model]
        trained, init = mine[mine.state == "trained"], mine[mine.state == "init"]
        best = best_heads.loc[model]
        if best.seeds == 1:
            chosen = best_rows[best_rows.model == model].iloc[0]
            best_label = f"[CLS], best head (layer {chosen.layer}, head {chosen['head_id']})"
        else:
            best_label = "[CLS], best head of each seed"
        picks = [
            (
                "[CLS], last layer",
                trained[
                    (trained.kind == "cls")
                    & (trained.layer == last)
                    & (trained["head_id"] == "mean")
                ].iloc[0],
            ),
            (best_label, best),
            ("rollout", trained[(trained.kind == "rollout") & (trained.layer == last)].iloc[0]),
            ("rollout, untrained", init[(init.kind == "rollout") & (init.layer == last)].iloc[0]),
            ("random map", trained[trained.kind == "random"].iloc[0]),
            ("brightness map", trained[trained.kind == "brightness"].iloc[0]),
            ("both objects, equal weight", trained[trained.kind == "objects"].iloc[0]),
            ("average target position", trained[trained.kind == "position"].iloc[0]),
        ]
        for i, (label, r) in enumerate(picks):
            rows.append([code(model) if i == 0 else "", label, *cells(r)])
    header = ["model", "map", "$J$ target", "$J$ distractor", "margin", "mass / area on target"]
    write_table(snakemake.output, tabular(header, rows, "llrrrr"))
