"""Every number the ViT section quotes, from the measurement tables: which model, layer and map
each sentence is about, and the verdicts of :mod:`anatomy.vit.verdicts` on them. The macro
script reads the tables, calls :func:`section_values` and writes the macros."""

from __future__ import annotations

import pandas as pd

from anatomy.core.formatting import code, fmt, pm, seed_words, word_list
from anatomy.core.intervals import mean_ci, seed_means
from anatomy.vit import verdicts as vv
from anatomy.vit.settings import ViTSettings
from anatomy.vit.specs import ModelSpec, experiment_specs


def words(items) -> str:
    """``2``, ``2 and 4``, ``2, 4 and 8``: numbers or names for the prose."""
    return word_list([str(i) for i in items])


def section_values(
    raw: dict[str, pd.DataFrame],
    histories: pd.DataFrame,
    swept: pd.DataFrame,
    s: ViTSettings,
    pretrained: list[pd.DataFrame] = (),
) -> dict:
    """The ViT section's values by macro name. ``raw``: each measurement's per-seed table by
    name (``distance``, ``objects``, ``shift``, ``patch``, ``norms``); ``histories``: every
    model's training history; ``swept``: the token sweep's table; ``s``: the ``vit`` settings;
    ``pretrained``: the pretrained probes' tables, if any."""
    # Every table as its means over the training seeds (with <column>_ci intervals). Heads are
    # not matched across seeds (head 2 of one seed is not head 2 of another), so what is said
    # of single heads reads the per-seed tables: extremes over every head of every seed.
    tables = {name: seed_means(table) for name, table in raw.items()}
    distance, objects, shift = tables["distance"], tables["objects"], tables["shift"]
    patch, norms = tables["patch"], tables["norms"]

    specs = experiment_specs(s)
    ref = ModelSpec("softmax", s.reference_patch)
    contrast = ModelSpec(s.contrast_operator, s.reference_patch)
    registers = ModelSpec("softmax", s.reference_patch, s.registers)
    sizes = s.patch_sizes
    last = int(distance.layer.max())

    values = {
        "vitMapRows": s.analysis.examples,  # held-out images per kind in Figure vit_maps
        "vitSize": s.data.size,
        "vitTrainImages": s.data.train,
        "vitEvalImages": s.data.evaluation,
        "vitWidth": s.model.embed_dim,
        "vitDepth": s.model.depth,
        "vitHeads": s.model.heads,
        "vitSteps": s.training.steps,
        "vitBatch": s.training.batch,
        "vitPatchSizes": words(sizes),
        "vitTokenCounts": words((s.data.size // p) ** 2 for p in sizes),
        "vitRefPatch": s.reference_patch,
        "vitRegisters": s.registers,
        "vitContrast": code(s.contrast_operator),
        "vitShare": s.analysis.share,
        "vitShareTimes": round(100 * s.analysis.share),
        "vitNormFactor": s.analysis.norm_factor,
        "vitModels": len(specs),
        "vitSeeds": len(s.seeds),
        "vitSeedWords": seed_words(len(s.seeds)),
    }

    # Accuracy on the held-out images.
    native = patch[patch.kind == "native"].set_index("model")
    acc = native.accuracy
    values |= {
        "vitAccRef": acc[ref.name],
        "vitAccContrast": acc[contrast.name],
        "vitAccRegisters": acc[registers.name],
        "vitAccMin": acc.min(),
        "vitAccMax": acc.max(),
        "vitAccMinModel": code(acc.idxmin()),
        "vitAccRefCi": pm(native.loc[ref.name, "accuracy_ci"]),
        "vitFinalLoss": histories.groupby(["model", "seed"])
        .loss.apply(lambda x: x.tail(50).mean())
        .max(),
    }

    # Mean attention distance: share of uniform, first and last layer, before and after training.
    ratio = distance.groupby(["model", "state", "layer"]).distance_ratio.mean()
    px = distance.groupby(["model", "state", "layer"]).distance_px.mean()
    init = raw["distance"][raw["distance"].state == "init"].distance_ratio
    values |= {
        "vitInitRatioMin": init.min(),
        "vitInitRatioMax": init.max(),
        "vitRefFirstRatio": ratio[ref.name, "trained", 0],
        "vitRefLastRatio": ratio[ref.name, "trained", last],
        "vitRefFirstPx": px[ref.name, "trained", 0],
        "vitRefLastPx": px[ref.name, "trained", last],
        "vitContrastFirstRatio": ratio[contrast.name, "trained", 0],
        "vitContrastLastRatio": ratio[contrast.name, "trained", last],
    }
    # Locality of a layer against the uniform ceiling: the head-mean ratio per seed, then its
    # interval over seeds (vit_verdicts.layer_locality's rule).
    ref_distance = raw["distance"][
        (raw["distance"].model == ref.name) & (raw["distance"].state == "trained")
    ]
    per_layer = ref_distance.groupby(["layer", "seed"]).distance_ratio.mean()
    values["vitLocalRatio"] = vv.LOCAL_RATIO
    for layer, key in ((0, "First"), (last, "Last")):
        mean, half = mean_ci(per_layer.loc[layer])
        values[f"vitRef{key}RatioCi"] = pm(half)
        values[f"vitRef{key}Locality"] = vv.layer_locality(mean, half)
    trained_heads = raw["distance"][raw["distance"].state == "trained"]
    lowest = trained_heads.loc[trained_heads.distance_ratio.idxmin()]
    values |= {
        "vitMinHeadRatio": lowest.distance_ratio,
        "vitMinHeadModel": code(lowest.model),
        "vitLocalPhrase": vv.locality(lowest.distance_ratio),
    }
    heads = trained_heads[trained_heads.model == ref.name]
    first = heads[heads.layer == 0].distance_ratio
    values |= {"vitRefFirstHeadMin": first.min(), "vitRefFirstHeadMax": first.max()}
    by_patch = native.loc[[ModelSpec("softmax", p).name for p in sizes]]
    values |= {
        "vitPatchPxMin": by_patch.distance_px.min(),
        "vitPatchPxMax": by_patch.distance_px.max(),
        "vitPatchTokensMin": by_patch.distance_tokens.min(),
        "vitPatchTokensMax": by_patch.distance_tokens.max(),
        "vitPatchRatioMin": by_patch.distance_ratio.min(),
        "vitPatchRatioMax": by_patch.distance_ratio.max(),
    }

    # Does attention find the object: margins (J target - J distractor) against a random map.
    trained = objects[objects.state == "trained"]

    def pick(model, kind, layer=last, head="mean", frame=trained):
        rows = frame[(frame.model == model) & (frame.kind == kind) & (frame["head_id"] == head)]
        return rows if kind == "random" else rows[rows.layer == layer]

    rollouts = trained[(trained.kind == "rollout") & (trained.layer == last)].set_index("model")
    cls_last = trained[
        (trained.kind == "cls") & (trained.layer == last) & (trained["head_id"] == "mean")
    ]
    cls_last = cls_last.set_index("model")
    randoms = trained[trained.kind == "random"].set_index("model")
    every_head = raw["objects"][raw["objects"].state == "trained"]
    heads_only = every_head[(every_head.kind == "cls") & (every_head["head_id"] != "mean")]
    best = heads_only.loc[heads_only.margin.idxmax()]
    # A map "finds the object" when its margin clears the random map's (vit_verdicts' rule).
    clears = pd.Series(
        {
            m: vv.clears_random(
                rollouts.margin[m],
                rollouts.margin_sem[m],
                randoms.margin[m],
                randoms.margin_sem[m],
            )
            for m in rollouts.index
        }
    )
    best_rollout = rollouts.margin.idxmax()
    # The reference model's maps: vitRollTarget, vitClsMargin, vitRandomDistractor, ...
    for key, frame in (("Roll", rollouts), ("Cls", cls_last), ("Random", randoms)):
        for column, name in (("jaccard_target", "Target"), ("jaccard_distractor", "Distractor")):
            values[f"vit{key}{name}"] = frame.loc[ref.name, column]
        values[f"vit{key}Margin"] = frame.loc[ref.name, "margin"]
    values |= {
        "vitRollMarginSem": rollouts.loc[ref.name, "margin_sem"],
        "vitRollMarginCi": pm(rollouts.loc[ref.name, "margin_ci"]),
        "vitContrastRollMargin": rollouts.loc[contrast.name, "margin"],
        "vitRegistersRollMargin": rollouts.loc[registers.name, "margin"],
        "vitBestRollMargin": rollouts.margin.max(),
        "vitBestRollModel": code(best_rollout),
        "vitWorstRollMargin": rollouts.margin.min(),
        "vitBestHeadMargin": best.margin,
        "vitBestHeadTarget": best.jaccard_target,
        "vitBestHeadModel": code(best.model),
        "vitBestHeadLayer": int(best.layer),
        "vitBestHeadIndex": int(best["head_id"]),
        "vitModelsClearing": int(clears.sum()),
        "vitMassOnTarget": rollouts.loc[ref.name, "mass_target"]
        / rollouts.loc[ref.name, "area_target"],
        "vitMassOnDistractor": rollouts.loc[ref.name, "mass_distractor"]
        / rollouts.loc[ref.name, "area_distractor"],
        "vitInitRollMargin": pick(
            ref.name, "rollout", frame=objects[objects.state == "init"]
        ).margin.iloc[0],
    }
    values["vitClsRollCompare"] = vv.cls_against_rollout(
        values["vitClsMargin"], values["vitRollMargin"]
    )
    # The object claim against the best map that knows where the objects are but not which
    # one the label needs (the reference model's grid, the same images, paired by seed).
    per_seed = raw["objects"]
    ref_rows = per_seed[per_seed.model == ref.name]
    last_roll = ref_rows[(ref_rows.kind == "rollout") & (ref_rows.layer == last)]
    roll_by_seed = last_roll[last_roll.state == "trained"].set_index("seed").margin
    candidates = {
        "brightness": ref_rows[(ref_rows.kind == "brightness") & (ref_rows.state == "trained")],
        "objects": ref_rows[(ref_rows.kind == "objects") & (ref_rows.state == "trained")],
        "position": ref_rows[(ref_rows.kind == "position") & (ref_rows.state == "trained")],
        "untrained rollout": last_roll[last_roll.state == "init"],
    }
    baseline_by_seed = {k: v.set_index("seed").margin for k, v in candidates.items()}
    best_baseline = max(baseline_by_seed, key=lambda k: baseline_by_seed[k].mean())
    best_by_seed = baseline_by_seed[best_baseline].loc[roll_by_seed.index]
    verdict = vv.against_baseline(list(roll_by_seed), list(best_by_seed))
    for kind, key in (("brightness", "Bright"), ("objects", "Objects"), ("position", "Position")):
        values[f"vitBase{key}Margin"] = baseline_by_seed[kind].mean()
    values |= {
        "vitBestBaseline": {
            "brightness": "brightness",
            "objects": "both-objects",
            "position": "average-position",
            "untrained rollout": "untrained-rollout",
        }[best_baseline],
        "vitBestBaselineMargin": best_by_seed.mean(),
        "vitRollAgainstBaseline": verdict,
        "vitAnswerObjects": vv.answer_objects(
            verdict.endswith("better than") and "no better" not in verdict, list(clears)
        ),
        "vitObjectVerdict": vv.models_clearing(list(clears)),
    }

    # Geometric stability of the reference model's maps.
    ref_shift = shift[shift.model == ref.name].set_index(["kind", "shift_px"])
    p = s.reference_patch
    for kind, key in (("cls", "Cls"), ("rollout", "Roll")):
        values |= {
            f"vitShift{key}One": ref_shift.loc[(kind, 1), "equivariance_error"],
            f"vitShift{key}Half": ref_shift.loc[(kind, max(1, p // 2)), "equivariance_error"],
            f"vitShift{key}Whole": ref_shift.loc[(kind, p), "equivariance_error"],
            f"vitStatic{key}One": ref_shift.loc[(kind, 1), "static_error"],
            f"vitStatic{key}Whole": ref_shift.loc[(kind, p), "static_error"],
            f"vitTracking{key}One": ref_shift.loc[(kind, 1), "tracking"],
            f"vitTracking{key}Whole": ref_shift.loc[(kind, p), "tracking"],
        }
    values |= {"vitHalfShift": max(1, p // 2)}
    one_error, one_static = ref_shift.loc[("rollout", 1), ["equivariance_error", "static_error"]]
    values["vitOneShiftPhrase"] = vv.one_pixel_shift(one_error, one_static)
    whole = shift[shift.shift_px == shift.patch]
    off = shift[shift.shift_px % shift.patch != 0]
    values |= {
        "vitShiftWholeMean": whole.equivariance_error.mean(),
        "vitShiftOffMean": off.equivariance_error.mean(),
        "vitStaticOffMean": off.static_error.mean(),
        "vitGridPhrase": vv.grid_tie(
            whole.equivariance_error.mean(), off.equivariance_error.mean()
        ),
    }

    # Re-patchifying the reference model.
    moved = patch[patch.kind == "repatchified"].set_index("patch")
    finer, coarser = moved.index.min(), moved.index.max()
    values |= {
        "vitRepatchFine": finer,
        "vitRepatchCoarse": coarser,
        "vitRepatchFineAcc": moved.loc[finer, "accuracy"],
        "vitRepatchCoarseAcc": moved.loc[coarser, "accuracy"],
        "vitRepatchFinePx": moved.loc[finer, "distance_px"],
        "vitRepatchCoarsePx": moved.loc[coarser, "distance_px"],
        "vitRepatchFineTokens": moved.loc[finer, "distance_tokens"],
        "vitRepatchCoarseTokens": moved.loc[coarser, "distance_tokens"],
        "vitRepatchFineMargin": moved.loc[finer, "margin"],
        "vitNativeFineAcc": native.loc[ModelSpec("softmax", int(finer)).name, "accuracy"],
        "vitNativeCoarseAcc": native.loc[ModelSpec("softmax", int(coarser)).name, "accuracy"],
        "vitRepatchCoarseMargin": moved.loc[coarser, "margin"],
        "vitRefPx": native.loc[ref.name, "distance_px"],
        "vitRefTokens": native.loc[ref.name, "distance_tokens"],
    }

    # The patch sweep at a fixed token count: the same grid on larger images, larger patches.
    sweep = seed_means(swept).set_index("model")  # smallest image first
    small, large = sweep.index[0], sweep.index[-1]
    grid = s.token_sweep.grid
    by_seed = swept.pivot_table(index="seed", columns="model", values="accuracy")
    natives = raw["patch"][raw["patch"].kind == "native"]
    native_by_seed = natives.pivot_table(index="seed", columns="model", values="accuracy")
    finest, coarsest = ModelSpec("softmax", min(sizes)), ModelSpec("softmax", max(sizes))
    size_effect = vv.accuracy_change(native_by_seed[coarsest.name], native_by_seed[finest.name])
    token_effect = vv.accuracy_change(by_seed[large], by_seed[small])
    values |= {
        "vitSweepGrid": grid,
        "vitSweepTokens": grid**2,
        "vitSweepSizes": words(int(v) for v in sweep["size"]),
        "vitSweepPatches": words(int(v) for v in sweep.patch),
        "vitSweepSmallSize": int(sweep.loc[small, "size"]),
        "vitSweepLargeSize": int(sweep.loc[large, "size"]),
        "vitSweepAccSmall": sweep.loc[small, "accuracy"],
        "vitSweepAccSmallCi": pm(sweep.loc[small, "accuracy_ci"]),
        "vitSweepAccLarge": sweep.loc[large, "accuracy"],
        "vitSweepAccLargeCi": pm(sweep.loc[large, "accuracy_ci"]),
        "vitSweepTokensMin": sweep.distance_tokens.min(),
        "vitSweepTokensMax": sweep.distance_tokens.max(),
        "vitSweepPxMin": sweep.distance_px.min(),
        "vitSweepPxMax": sweep.distance_px.max(),
        "vitSweepMarginSmall": sweep.loc[small, "margin"],
        "vitSweepMarginLarge": sweep.loc[large, "margin"],
        "vitSweepDistancePhrase": vv.distance_unit(
            vv.relative_spread(sweep.distance_tokens),
            vv.relative_spread(sweep.distance_px),
            sweep.lowest_layer_ratio.min(),  # layers' head means, averaged over seeds
        ),
        "vitFinest": finest.patch,
        "vitCoarsest": coarsest.patch,
        "vitFinestTokens": (s.data.size // finest.patch) ** 2,
        "vitCoarsestTokens": (s.data.size // coarsest.patch) ** 2,
        "vitFinestAcc": native.loc[finest.name, "accuracy"],
        "vitFinestAccCi": pm(native.loc[finest.name, "accuracy_ci"]),
        "vitCoarsestAcc": native.loc[coarsest.name, "accuracy"],
        "vitCoarsestAccCi": pm(native.loc[coarsest.name, "accuracy_ci"]),
        "vitSizeAccPhrase": size_effect,
        "vitTokenAccPhrase": token_effect,
        "vitPatchOrTokens": vv.patch_or_tokens(size_effect, token_effect),
    }

    # Token norms: the high-norm population, without and with registers.
    patches = norms[norms.kind == "patch"]
    high = patches.groupby("model").high_norm_fraction.max()
    peak = patches.groupby("model").max_over_median.max()
    reg = norms[(norms.model == registers.name) & (norms.kind == "register")]
    values |= {
        "vitHighNormRef": high[ref.name],
        "vitHighNormRegisters": high[registers.name],
        "vitHighNormMax": high.max(),
        "vitPeakNormRef": peak[ref.name],
        "vitPeakNormRegisters": peak[registers.name],
        "vitRegisterNorm": reg[reg.layer == reg.layer.max()].over_patch_median.iloc[0],
        "vitNormPhrase": vv.high_norms(high.max()),
    }

    if pretrained:
        probed = list(pretrained)
        names = [table.model.iloc[0] for table in probed]
        values["vitPretrainedModels"] = words(code(n) for n in names)
        # One clause per model: its first and last layers' mean attention distance.
        clauses = []
        for name, table in zip(names, probed, strict=True):
            dist = table[table.measurement == "distance"]
            by_layer = dist.groupby("layer").distance_ratio.mean()
            clauses.append(
                f"{code(name)} moves from ${fmt(by_layer.iloc[0], 2)}$ of the uniform distance in "
                f"its first layer to ${fmt(by_layer.iloc[-1], 2)}$ in its last"
            )
        values["vitPretrainedSummary"] = "; ".join(clauses)
    return values
