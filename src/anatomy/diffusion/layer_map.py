"""Which cross-attention layers bind, read from the measurement tables: each layer's role
(binds, relocates the objects, carries nothing) on every training seed, the layer map of
each variant, and the normalizer comparison beside its softmax reference. Table arithmetic
only: no model is loaded here, so the section's summary and tables depend on these tables, not
on the UNet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from anatomy.core.intervals import mean_ci, paired_difference, seed_means
from anatomy.diffusion.settings import Analysis
from anatomy.pipeline.runtime import seed_of


def short_name(layer: str) -> str:
    """``down_blocks.0.attentions.0.transformer_blocks.0.attn2.processor`` -> ``down0.0``."""
    parts = layer.split(".")
    if parts[0] == "mid_block":
        return "mid"
    if len(parts) < 4 or parts[0] not in ("down_blocks", "up_blocks"):
        return layer  # not a diffusers UNet name: keep it
    return f"{parts[0].split('_')[0]}{parts[1]}.{parts[3]}"


def layer_map(maps: pd.DataFrame, ablations: pd.DataFrame, analysis: Analysis) -> pd.DataFrame:
    """:func:`classify_layers` on the pipeline's tables, with each layer's resolution read
    from the token-map table and the thresholds from the analysis settings."""
    layers = maps[maps.layer != "all"].drop_duplicates("layer")
    resolution = dict(zip(layers.layer, layers.resolution, strict=True))
    return classify_layers(
        maps, ablations, resolution, analysis.margin_threshold, analysis.effect_threshold
    )


def seed_tables(
    probed_seed: int, maps: pd.DataFrame, ablations: pd.DataFrame, paths
) -> dict[int, tuple[pd.DataFrame, pd.DataFrame]]:
    """The token-map and ablation tables of every seed's base model, by seed: the probed
    model's (already read) and those the per-seed measurements wrote
    (``.../seed<N>/token_maps.parquet``, ``.../seed<N>/ablations.parquet``)."""
    others = [tables for tables in model_seed_tables(paths).values()]
    if len(others) > 1:
        raise ValueError(f"one model's seeds expected, found {len(others)} folders")
    return {probed_seed: (maps, ablations)} | (others[0] if others else {})


def model_seed_tables(paths) -> dict[str, dict[int, tuple[pd.DataFrame, pd.DataFrame]]]:
    """The token-map and ablation tables in ``.../<model>/seed<N>/<measurement>.parquet``
    by model (the folder above the seed's) and seed, seeds in increasing order."""
    found: dict[str, dict[int, dict[str, pd.DataFrame]]] = {}
    for path in paths:
        path = Path(path)
        by_seed = found.setdefault(path.parent.parent.name, {})
        by_seed.setdefault(seed_of(path), {})[path.stem] = pd.read_parquet(path)
    return {
        model: {seed: (t["token_maps"], t["ablations"]) for seed, t in sorted(by_seed.items())}
        for model, by_seed in found.items()
    }


def variant_layer_maps(paths, analysis: Analysis) -> pd.DataFrame:
    """The layer map of every model the paths hold, on each of its seeds: one row per model,
    seed and layer, by the base model's rule (:func:`classify_layers`)."""
    return pd.concat(
        [
            layer_map_over_seeds(tables, analysis).assign(model=model)
            for model, tables in model_seed_tables(paths).items()
        ],
        ignore_index=True,
    )


def variant_layer_summary(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Per model and layer (in the order given): the binding that uniform maps in that layer
    alone cost, as the mean over seeds with its 95% interval over seeds (``cost``,
    ``cost_ci``), and in how many of the seeds the rule labels it binding."""
    rows = []
    for (model, layer), part in per_seed.groupby(["model", "layer"], sort=False):
        cost, half = mean_ci(part.uniform_binding_drop)
        rows.append(
            {
                "model": model,
                "layer": layer,
                "name": part["name"].iloc[0],
                "resolution": part.resolution.iloc[0],
                "cost": cost,
                "cost_ci": half,
                "binding": int((part.role == "binding").sum()),
                "seeds": part.seed.nunique(),
            }
        )
    return pd.DataFrame(rows)


def variant_layer_phrase(summary: pd.DataFrame, code=str) -> str:
    """One clause per model: the layers the rule finds binding in every seed, or none, and
    the largest mean cost of a single layer's uniform maps."""
    from anatomy.core.formatting import word_list

    clauses = []
    for model, part in summary.groupby("model", sort=False):
        always = [code(name) for name in part[part.binding == part.seeds]["name"]]
        if not always:
            where = "no layer binds in every seed"
        else:
            where = f"{word_list(always)} {'binds' if len(always) == 1 else 'bind'} in every seed"
        top = part.loc[part.cost.idxmax()]
        cost = (
            f"the largest single-layer cost is {top.cost:.2f} ({code(top['name'])})"
            if top.cost > 0
            else "no single layer's uniform maps cost binding"
        )
        clauses.append(f"{code(model)}: {where}; {cost}")
    return "; ".join(clauses)


def layer_map_over_seeds(
    tables: dict[int, tuple[pd.DataFrame, pd.DataFrame]], analysis: Analysis
) -> pd.DataFrame:
    """:func:`layer_map` of every seed's base model, ``tables`` mapping a seed to its
    token-map and ablation tables; one row per seed and layer, with a ``seed`` column."""
    return pd.concat(
        [
            layer_map(maps, ablations, analysis).assign(seed=seed)
            for seed, (maps, ablations) in tables.items()
        ],
        ignore_index=True,
    )


def role_counts(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Per layer (in the order of the first seed), in how many seeds it is labelled
    ``binding``, ``modulation`` and ``undecided``, and the number of seeds."""
    counts = per_seed.pivot_table(index="layer", columns="role", values="seed", aggfunc="count")
    counts = counts.reindex(columns=["binding", "modulation", "undecided"]).fillna(0).astype(int)
    counts["seeds"] = per_seed.groupby("layer").seed.nunique()
    order = list(dict.fromkeys(per_seed.layer))
    return counts.loc[order].reset_index()


def classify_layers(
    maps: pd.DataFrame,
    ablations: pd.DataFrame,
    resolution: dict[str, int],
    margin_threshold: float,
    effect_threshold: float,
) -> pd.DataFrame:
    """The layer map: per cross-attention layer its binding margin (colour words, averaged
    over timesteps) and the change in binding when its maps are made uniform or its context
    null. The rule, fixed before the run: ``binding`` when the margin is at least
    ``margin_threshold`` *and* the 95% interval of the binding that uniform maps in that layer
    alone cost lies above ``effect_threshold``; ``modulation`` when the margin is below its
    threshold or that interval lies below ``effect_threshold``; ``undecided`` when the interval
    contains it (the prompts cannot tell)."""
    base = ablations[ablations.condition == "none"].iloc[0]
    rows = []
    for layer in resolution:
        m = maps[(maps.layer == layer) & maps.word.isin(["colour1", "colour2"])]
        uni = ablations[(ablations.condition == "uniform") & (ablations.layer == layer)].iloc[0]
        nul = ablations[(ablations.condition == "null") & (ablations.layer == layer)].iloc[0]
        margin = float(m.margin.mean())
        drop_uniform = float(base.binding - uni.binding)
        low, high = float(uni.binding_drop_low), float(uni.binding_drop_high)
        if margin < margin_threshold or high < effect_threshold:
            role = "modulation"
        elif low > effect_threshold:
            role = "binding"
        else:
            role = "undecided"
        rows.append(
            {
                "layer": layer,
                "name": short_name(layer),
                "resolution": resolution[layer],
                "margin": margin,
                "miou": float(m.iou.mean()),
                "uniform_binding_drop": drop_uniform,
                "uniform_binding_drop_low": low,
                "uniform_binding_drop_high": high,
                "null_binding_drop": float(base.binding - nul.binding),
                "null_presence_drop": float(base.present - nul.present),
                "role": role,
            }
        )
    return pd.DataFrame(rows)


def normalizer_comparison(per_seed: pd.DataFrame, reference: str = "base_short") -> pd.DataFrame:
    """The normalizer comparison from the per-seed variant table: the ``reference`` model
    (softmax cross-attention, at the variants' step count) and every model whose weights come
    from another normalizer, as seed means with intervals, each with its paired difference in
    binding from the reference (seeds paired: same split, prompts and noise)."""
    chosen = per_seed[(per_seed.model == reference) | (per_seed.operator != "softmax")]
    means = seed_means(chosen.drop(columns="model"))
    by_seed = per_seed.pivot(index="seed", columns="model", values="binding")
    names = dict(zip(chosen.operator, chosen.model, strict=False))
    diffs = [paired_difference(by_seed[names[op]], by_seed[reference]) for op in means.operator]
    means["binding_diff"] = [d[0] for d in diffs]
    means["binding_diff_ci"] = [d[1] for d in diffs]
    return means
