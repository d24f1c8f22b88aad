"""Figure: every model trained at the variants' budget, seed by seed. Binding on the held-out
prompts and the colour words' map mIoU of the base model at that step (softmax maps) and of
each variant (pooled text, uniform maps, sparse normalizers): one dot per training seed, the
mean with its 95% interval over seeds; dashed, what a model that ignores its prompt binds,
dotted, what one that pairs colours with shapes at random binds."""

import matplotlib.pyplot as plt
import pandas as pd

from anatomy.core.artifacts import load_torch
from anatomy.core.intervals import mean_ci
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting

with snakemake_job(snakemake):
    tables = [p for p in snakemake.input.tables if p.endswith(".parquet")]
    per_seed = pd.concat(pd.read_parquet(p) for p in tables)
    per_seed = per_seed[per_seed.model != "base"]  # the full run had more steps
    chance = load_torch(next(p for p in snakemake.input.tables if p.endswith(".pt")))["chance"]
    models = list(dict.fromkeys(per_seed.model))
    plotting.theme()
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 2.4), sharey=False)
    for ax, (column, label) in zip(
        axes,
        (("binding", "binding (held-out prompts)"), ("miou", "colour-word map mIoU")),
        strict=True,
    ):
        for x, model in enumerate(models):
            values = per_seed[per_seed.model == model][column]
            mean, half = mean_ci(values)
            ax.scatter([x] * len(values), values, s=12, color="0.6", zorder=2)
            ax.errorbar(x, mean, yerr=0 if half != half else half, fmt="o", color="C0", zorder=3)
        ax.set_xticks(range(len(models)), models, rotation=30, ha="right")
        ax.set_ylabel(label)
        ax.set_ylim(0, 1)
    axes[0].axhline(chance["prompt_ignored_binding"], color="0.3", linestyle="--", linewidth=0.8)
    axes[0].axhline(chance["random_pairing_binding"], color="0.3", linestyle=":", linewidth=0.8)
    fig.tight_layout()
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
