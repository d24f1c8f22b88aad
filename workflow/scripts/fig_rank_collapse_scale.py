"""Figure: the phase diagram of rank collapse, the relative residual after the last layer
against the input scale (logits scale with its square), per operator, one panel per
architecture; the MLP-only controls (no attention, operator "none") sit in the panels of the
MLP they control."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    table = pd.read_parquet(snakemake.input.table)
    last = table[table.layer == table.layer.max()].copy()
    last["relative_residual"] = last.relative_residual.clip(lower=1e-12)  # log axis: exact 0
    controls = {"mlp": "mlp_only", "skip+mlp": "skip+mlp_only", "skip+tanh": "skip+tanh_only"}
    for variant, control in controls.items():  # draw each control inside its variant's panel
        last.loc[last.variant == control, "variant"] = variant
    panels = ["pure", "skip", "mlp", "skip+mlp", "skip+tanh"]
    panels = [p for p in panels if p in set(last.variant)]
    depth = int(table.layer.max())
    fig, _ = plotting.line_panels(
        last,
        "scale",
        "relative_residual",
        hue="operator",
        col="variant",
        xlabel="input scale",
        ylabel=f"relative residual after {depth} layers",
        panels=panels,
        max_cols=3,
        ylim=(1e-12, 2.0),
    )
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
