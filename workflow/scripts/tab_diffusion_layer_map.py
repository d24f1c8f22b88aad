"""Table: the layer map. Every cross-attention layer with its resolution, how well its
colour-word maps sit on the word's own object, what ablating it costs (with the 95% paired
bootstrap interval over the prompts), the size of its update and the role the stated rule
gives it on the probed model, and in how many training seeds' base models the rule finds it
binding."""

from pathlib import Path

import pandas as pd

from anatomy.diffusion.layer_map import layer_map, layer_map_over_seeds, role_counts, seed_tables
from anatomy.diffusion.settings import DiffusionSettings
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import fmt, tabular, write_table

with snakemake_job(snakemake):
    tables = {Path(p).stem: p for p in snakemake.input.tables if p.endswith(".parquet")}
    maps = pd.read_parquet(tables["token_maps"])
    ablations = pd.read_parquet(tables["ablations"])
    norms = pd.read_parquet(tables["update_norms"])
    analysis = DiffusionSettings.of({"analysis": snakemake.params.settings["analysis"]}).analysis
    probed = snakemake.params.settings["probed_seed"]
    table = layer_map(maps, ablations, analysis)
    ratio = norms.groupby("layer").update_ratio.mean()
    seeds = seed_tables(probed, maps, ablations, snakemake.input.seeds)
    counts = role_counts(layer_map_over_seeds(seeds, analysis)).set_index("layer")
    header = [
        "layer",
        "res.",
        "mIoU",
        "margin",
        r"$\Delta$bind (unif.) [95\%]",
        r"$\Delta$bind (null)",
        r"$\Delta$present (null)",
        "update",
        "role",
        "binds in seeds",
    ]
    rows = [
        [
            rf"\texttt{{{r['name']}}}",
            f"{r.resolution}",
            fmt(r.miou, 2),
            fmt(r.margin, 2),
            rf"{fmt(-r.uniform_binding_drop, 2)} "
            rf"[{fmt(-r.uniform_binding_drop_high, 2)}, {fmt(-r.uniform_binding_drop_low, 2)}]",
            fmt(-r.null_binding_drop, 2),
            fmt(-r.null_presence_drop, 2),
            fmt(float(ratio[r.layer]), 2),
            r"\textbf{binding}" if r.role == "binding" else r.role,
            f"{counts.loc[r.layer, 'binding']} of {counts.loc[r.layer, 'seeds']}",
        ]
        for _, r in table.iterrows()
    ]
    write_table(snakemake.output, tabular(header, rows, "lrrrrrrrlr"))
