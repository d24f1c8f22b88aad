"""Every number the diffusion section quotes, from the measurement tables: the binding reads
against chance, the layer map (on every seed), guidance, the timestep windows, the layer
prompts, the word swap and the retrained variants, with the verdicts by rules fixed before the
run. The macro script reads the tables, calls :func:`section_values` and writes the macros."""

from __future__ import annotations

import pandas as pd

from anatomy.core.formatting import code, pm, seed_words, word_list
from anatomy.core.intervals import (
    against_chance,
    compare_phrase,
    paired_difference,
    seed_means,
    wilson,
)
from anatomy.diffusion.data import all_combinations, heldout_combinations
from anatomy.diffusion.layer_map import (
    layer_map,
    layer_map_over_seeds,
    normalizer_comparison,
    role_counts,
    seed_tables,
    variant_layer_maps,
    variant_layer_phrase,
    variant_layer_summary,
)
from anatomy.diffusion.settings import DiffusionSettings

RELATION_CHANCE = 0.5
RELATION_PHRASES = {
    "above": "does better: it learned where the relation word puts the objects",
    "level": "does no better: it did not learn where the relation word puts the objects",
    "below": "does worse: it places the objects against the relation word",
    "unresolved": "cannot be judged: no sample shows both objects",
}
RELATION_VERDICTS = {
    "above": "The relation word is obeyed",
    "level": "The relation word is not obeyed",
    "below": "The relation word is inverted",
    "unresolved": "The relation word cannot be judged",
}


def section_values(
    tables: dict[str, pd.DataFrame],
    extras: dict[str, dict],
    s: DiffusionSettings,
    probed_seed: int = 0,
    seed_files=(),
    variant_seeds: pd.DataFrame | None = None,
    variant_layer_files=(),
) -> dict:
    """The diffusion section's values by macro name. ``tables`` and ``extras``: each
    measurement's table and extras by name (``samples``, ``token_maps``, ...) for the probed
    model (seed ``probed_seed``); ``s``: the ``diffusion`` settings; ``seed_files``: the other
    seeds' token-map and ablation tables (the layer map on every seed); ``variant_seeds``: the
    retrained variants' per-seed table, if any; ``variant_layer_files``: the tables of the
    models ``diffusion.layer_map_variants`` names."""
    data, training, analysis = s.data, s.training, s.analysis
    samples, maps, ablations = tables["samples"], tables["token_maps"], tables["ablations"]
    chance = extras["samples"]["chance"]
    two_shape = [c for c in all_combinations(data) if c[1] != c[4]]
    # Each relation compares the two objects' centroids along one axis, so among samples that
    # show both objects, a model that ignores the relation word satisfies it half the time.
    present = samples.present.astype(bool)
    drawn = int(present.sum())
    relation_rate = float(samples.position[present].mean()) if drawn else float("nan")
    relation_low, relation_high = wilson(relation_rate, drawn)
    # The relation verdict, by a rule fixed before the run: the Wilson interval over the samples
    # with both objects above, around or below the level of a model that ignores the word.
    relation_verdict = against_chance(
        relation_rate, drawn, RELATION_CHANCE, "above", "level", "below", "unresolved"
    )

    values = {
        "diffBinding": samples.binding.mean(),
        "diffPresent": samples.present.mean(),
        "diffSwapped": samples.swapped.mean(),
        "diffPosition": samples.position.mean(),
        "diffPositionGivenPresent": relation_rate,
        "diffPositionDrawn": drawn,
        "diffPositionChance": RELATION_CHANCE,
        "diffPositionLow": relation_low,
        "diffPositionHigh": relation_high,
        "diffPositionPhrase": RELATION_PHRASES[relation_verdict],
        "diffPositionVerdict": RELATION_VERDICTS[relation_verdict],
        "diffPrompts": len(samples),
        "diffChanceIgnored": chance["prompt_ignored_binding"],
        "diffChancePairing": chance["random_pairing_binding"],
        "diffHeldOut": len(heldout_combinations(data, 0)),
        "diffCombinations": len(two_shape),
        "diffSize": data.size,
        "diffColours": data.colours,
        "diffShapes": data.shapes,
        "diffRelations": data.relations,
        "diffSteps": training.steps,
        "diffVariantSteps": training.variant_steps,
        "diffSeedWords": seed_words(len(s.seeds)),
        "diffBatch": training.batch,
        "diffSamplingSteps": s.sampling.steps,
        "diffGuidance": s.sampling.guidance,
        "diffThreshold": analysis.threshold,
        "diffMarginThreshold": analysis.margin_threshold,
        "diffEffectThreshold": analysis.effect_threshold,
    }

    colour_words = maps[maps.word.isin(["colour1", "colour2"])]
    shape_words = maps[maps.word.isin(["shape1", "shape2"])]
    summed = colour_words[colour_words.layer == "all"]
    values |= {
        "diffMarginAll": summed.margin.mean(),
        "diffMiouAll": summed.iou.mean(),
        "diffMassOwnAll": summed.mass_on_own.mean(),
        "diffAreaShare": summed.own_area.mean(),
        "diffShapeMarginAll": shape_words[shape_words.layer == "all"].margin.mean(),
        "diffStartMass": maps[maps.word == "<start>"].mass.mean(),
        "diffPaddingMass": maps[maps.word == "<padding>"].mass.mean(),
    }

    base = ablations[ablations.condition == "none"].iloc[0]
    every = ablations[ablations.layer == "all"].set_index("condition")
    values |= {
        "diffAblBase": base.binding,
        "diffUniformAllBinding": every.loc["uniform", "binding"],
        "diffUniformAllPresent": every.loc["uniform", "present"],
        "diffUniformAllDrop": base.binding - every.loc["uniform", "binding"],
        "diffNullAllBinding": every.loc["null", "binding"],
        "diffNullAllPresent": every.loc["null", "present"],
    }
    roles = layer_map(maps, ablations, analysis)
    binding_layers = roles[roles.role == "binding"]
    strongest = roles.loc[roles.uniform_binding_drop.idxmax()]
    values |= {
        "diffNumLayers": len(roles),
        # The feature-map sides that carry cross-attention, finest first ("$8\times8$ and ...").
        "diffAttentionSides": word_list(
            [rf"${side}\times{side}$" for side in sorted(set(roles.resolution), reverse=True)]
        ),
        "diffNumBindingLayers": len(binding_layers),
        "diffBindingLayers": ", ".join(rf"\texttt{{{n}}}" for n in binding_layers.name) or "none",
        "diffBestLayer": rf"\texttt{{{roles.loc[roles.margin.idxmax(), 'name']}}}",
        "diffBestLayerMargin": roles.margin.max(),
        "diffBestLayerRes": int(roles.loc[roles.margin.idxmax(), "resolution"]),
        "diffBestLayerRole": roles.loc[roles.margin.idxmax(), "role"],
        "diffNumModulationLayers": int((roles.role == "modulation").sum()),
        "diffModulationLayers": ", ".join(
            rf"\texttt{{{n}}}" for n in roles[roles.role == "modulation"].name
        )
        or "none",
        "diffLargestUniformDrop": roles.uniform_binding_drop.max(),
        "diffLargestUniformLow": strongest.uniform_binding_drop_low,
        "diffLargestUniformHigh": strongest.uniform_binding_drop_high,
        "diffLargestUniformLayer": rf"\texttt{{{strongest['name']}}}",
        "diffNumUndecidedLayers": int((roles.role == "undecided").sum()),
        "diffUndecidedLayers": ", ".join(
            rf"\texttt{{{n}}}" for n in roles[roles.role == "undecided"].name
        )
        or "none",
        "diffAblationPrompts": int(base.prompts),
    }
    # The same rule on every seed's base model: which layers bind in all of them.
    seeds = seed_tables(probed_seed, maps, ablations, seed_files)
    counts = role_counts(layer_map_over_seeds(seeds, analysis))
    names = dict(zip(roles.layer, roles.name, strict=True))
    every_seed = counts[counts.binding == counts.seeds].layer
    values |= {
        "diffMapSeeds": len(seeds),
        "diffMapSeedWords": seed_words(len(seeds)),
        "diffNumLayersBindingEverySeed": len(every_seed),
        "diffLayersBindingEverySeed": ", ".join(rf"\texttt{{{names[n]}}}" for n in every_seed)
        or "none",
        "diffNumLayersBindingSomeSeed": int((counts.binding > 0).sum()),
    }

    guidance = tables["guidance"].set_index("guidance")
    values |= {
        "diffGuidanceMax": float(guidance.index.max()),
        "diffGuidanceMaxBinding": guidance.binding.iloc[-1],
        "diffGuidanceMaxPresent": guidance.present.iloc[-1],
        "diffGuidanceBest": float(guidance.binding.idxmax()),
        "diffGuidanceBestBinding": guidance.binding.max(),
    }

    windows = tables["windows"]
    splits = sorted(windows.fraction.unique())
    early, mid = splits[1], splits[len(splits) // 2]

    def window(condition, fraction, metric="binding"):
        rows = windows[(windows.condition == condition) & (windows.fraction == fraction)]
        return float(rows[metric].iloc[0]) if len(rows) else float("nan")

    values |= {
        "diffEarlySplit": early,
        "diffMidSplit": mid,
        "diffNullAfterEarly": window("null_after", early),
        "diffNullAfterMid": window("null_after", mid),
        "diffNullBeforeEarly": window("null_before", early),
        "diffNullBeforeMid": window("null_before", mid),
        "diffCacheAfterEarly": window("cache_after", early),
        "diffCacheAfterMid": window("cache_after", mid),
    }

    prompts = tables["layer_prompts"]
    by_side = sorted(
        (g for g in prompts.group.unique() if "x" in g), key=lambda g: int(g.split("x")[0])
    )
    for label, group in (("Fine", by_side[-1]), ("Coarse", by_side[0])):
        rows = prompts[prompts.group == group].set_index("prompt")
        values[f"diffPplus{label}Side"] = int(group.split("x")[0])
        values[f"diffPplus{label}ColoursA"] = rows.loc["A", "colours"]
        values[f"diffPplus{label}ColoursB"] = rows.loc["B", "colours"]

    swap = tables["word_swap"].set_index("tau")
    high = min(swap.index, key=lambda t: abs(t - 0.8))
    values |= {
        "diffSwapTau": high,
        "diffSwapEditHigh": swap.loc[high, "edit_binding"],
        "diffSwapKeptHigh": swap.loc[high, "layout_iou_kept"],
        "diffSwapEditZero": swap.loc[swap.index.min(), "edit_binding"],
        "diffSwapKeptZero": swap.loc[swap.index.min(), "layout_iou_kept"],
        "diffSwapEditFull": swap.loc[swap.index.max(), "edit_binding"],
        "diffSwapKeptFull": swap.loc[swap.index.max(), "layout_iou_kept"],
    }

    if variant_seeds is not None:
        per_seed = variant_seeds
        variants = seed_means(per_seed).set_index("model")
        routes = [
            ("base", "Full"),
            ("base_short", "Short"),
            ("pooled", "Pooled"),
            ("uniform", "Uniform"),
        ]
        routes = [(name, key) for name, key in routes if name in variants.index]  # pooled: optional
        for name, key in routes:
            for column, label in (
                ("binding", "Binding"),
                ("present", "Present"),
                ("final_loss", "Loss"),
                ("swapped", "Swapped"),
            ):
                values[f"diffVar{key}{label}"] = variants.loc[name, column]
                values[f"diffVar{key}{label}Ci"] = pm(variants.loc[name, f"{column}_ci"])
        # Verdicts from paired differences over seeds (same split, prompts and noise).
        by_seed = per_seed.pivot(index="seed", columns="model", values="binding")
        for name, key in routes[2:]:
            mean, half = paired_difference(by_seed[name], by_seed["base_short"])
            values[f"diffVar{key}Diff"] = mean
            values[f"diffVar{key}DiffCi"] = pm(half)
            values[f"diffVar{key}Phrase"] = compare_phrase(
                mean,
                half,
                "binds better than",
                "binds worse than",
                "binds as well as",
                "has, on one seed, no interval and so no verdict against",
            )

        # The normalizer in cross-attention: sparse maps against softmax at equal budget.
        normalizers = normalizer_comparison(per_seed).set_index("operator")
        for operator, key in (
            ("softmax", "Softmax"),
            ("sparsemax", "Sparsemax"),
            ("entmax15", "Entmax"),
        ):
            if operator not in normalizers.index:
                continue
            r = normalizers.loc[operator]
            for column, label in (
                ("binding", "Binding"),
                ("present", "Present"),
                ("miou", "Miou"),
                ("map_margin", "Margin"),
                ("binding_diff", "Diff"),
            ):
                values[f"diffNorm{key}{label}"] = r[column]
                values[f"diffNorm{key}{label}Ci"] = pm(r[f"{column}_ci"])
            if operator != "softmax":
                values[f"diffNorm{key}Phrase"] = compare_phrase(
                    r.binding_diff,
                    r.binding_diff_ci,
                    "binds better than",
                    "binds worse than",
                    "binds as well as",
                    "has, on one seed, no interval and so no verdict against",
                )

    # The layer map of each model diffusion.layer_map_variants names, when it is measured.
    if variant_layer_files:
        per_model = variant_layer_maps(variant_layer_files, analysis)
        values["diffVariantLayersShown"] = 1
        values["diffVariantLayers"] = variant_layer_phrase(variant_layer_summary(per_model), code)
    return values
