"""The numbers the expressivity section quotes, computed from the measurement tables."""

from __future__ import annotations

import numpy as np
import pandas as pd


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x (y clipped at the smallest positive float)."""
    y = np.clip(np.asarray(y, float), np.finfo(float).tiny, None)
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(y), 1)[0])


COLLAPSED = 1e-3  # a relative residual below this after the last layer is "collapsed"


def phase_values(scale_table: pd.DataFrame) -> dict[str, float | int | str]:
    """The rank-collapse phase diagram's numbers
    (:func:`anatomy.expressivity.rank_collapse.scale_sweep`):
    who collapses at the smallest and the largest input scale, where tied L2 starts to
    collapse, and the MLP-only controls."""
    from anatomy.expressivity.rank_collapse import collapse_scale

    depth = int(scale_table.layer.max())
    last = scale_table[scale_table.layer == depth]
    # A cell with an undefined draw (a stack that under- or overflowed) is undefined itself.
    mean = last.groupby(["operator", "variant", "scale"]).relative_residual.agg(
        lambda v: v.mean() if v.notna().all() else np.nan
    )
    scales = sorted(scale_table.scale.unique())
    low, high = scales[0], scales[-1]
    pure = mean.xs("pure", level="variant").unstack("scale")
    attention_ops = [op for op in pure.index if op != "none"]
    pure = pure.loc[attention_ops]
    collapsed = pure < COLLAPSED
    undefined = [op for op in attention_ops if pure.loc[op].isna().any()]
    everywhere = [op for op in attention_ops if collapsed.loc[op].all()]
    # Operators whose rows do not depend on the input scale at all (homogeneous kernels,
    # content-free weights): identical residuals at every scale.
    invariant = [
        op
        for op in attention_ops
        if op not in undefined
        and np.allclose(pure.loc[op], pure.loc[op].iloc[0], rtol=1e-6, atol=1e-300)
    ]
    l2_scale = collapse_scale(scale_table, COLLAPSED).get(("l2", "pure"), float("nan"))

    def names(ops):
        return ", ".join(r"\texttt{" + op.replace("_", r"\_") + "}" for op in ops) or "none"

    def at(operator, variant, scale):
        return float(mean.get((operator, variant, scale), float("nan")))

    one = min(scales, key=lambda s: abs(s - 1.0))
    return {
        "exPhaseDepth": depth,
        "exPhaseThreshold": COLLAPSED,
        "exPhaseScaleLow": float(low),
        "exPhaseScaleHigh": float(high),
        "exPhaseOperators": len(attention_ops),
        "exPhaseDefined": len(attention_ops) - len(undefined),
        "exPhaseCollapsedLow": int(collapsed[low].sum()),
        "exPhaseCollapsedHigh": int(collapsed[high].sum()),
        "exPhaseCollapsedEverywhere": len(everywhere),
        "exPhaseStandingLowList": names(
            [op for op in attention_ops if op not in undefined and not collapsed.loc[op, low]]
        ),
        "exPhaseUndefinedList": names(undefined),
        "exPhaseCollapsedEverywhereList": names(everywhere),
        "exPhaseInvariantList": names([op for op in everywhere if op in invariant]),
        "exPhaseSoftmaxPureHigh": at("softmax", "pure", high),
        "exPhaseSoftmaxPureOne": at("softmax", "pure", one),
        "exPhaseHardmaxPureMin": float(pure.loc["hardmax"].min())
        if "hardmax" in pure.index
        else np.nan,
        "exPhaseHardmaxPureMax": float(pure.loc["hardmax"].max())
        if "hardmax" in pure.index
        else np.nan,
        "exPhaseLtwoCollapseScale": float(l2_scale),
        "exPhaseLtwoPureOne": at("l2", "pure", one),
        "exPhaseMlpOnly": at("none", "mlp_only", one),
        "exPhaseSkipMlpOnly": at("none", "skip+mlp_only", one),
        "exPhaseSkipTanhOnly": at("none", "skip+tanh_only", one),
        "exPhaseSoftmaxSkipMlpOne": at("softmax", "skip+mlp", one),
        "exPhaseSoftmaxSkipTanhLow": at("softmax", "skip+tanh", low),
        "exPhaseSoftmaxSkipTanhHigh": at("softmax", "skip+tanh", high),
        "exPhaseUniformSkipTanh": at("uniform", "skip+tanh", one),
    }


def rasp_values(table: pd.DataFrame) -> dict[str, float | int | str]:
    """The compiled RASP program's numbers (:func:`anatomy.expressivity.rasp.length_sweep`): who
    runs it exactly at every length, where softmax breaks, and the strictly positive kernels."""
    from anatomy.core.formatting import code, word_list
    from anatomy.expressivity.rasp import softmax_breaking_length

    accuracy = table.pivot(index="operator", columns="n", values="accuracy")
    ns = sorted(accuracy.columns)
    exact = [op for op in accuracy.index if (accuracy.loc[op] == 1.0).all()]
    beta, vocab = float(table.beta.iloc[0]), int(table.vocab.iloc[0])
    soft = accuracy.loc["softmax"]
    below_half = [n for n in ns if soft[n] < 0.5]

    def at(operator, n):
        return float(accuracy.loc[operator, n]) if operator in accuracy.index else float("nan")

    return {
        "exRaspBeta": beta,
        "exRaspVocab": vocab,
        "exRaspNLow": int(ns[0]),
        "exRaspNHigh": int(ns[-1]),
        "exRaspExact": len(exact),
        "exRaspOperators": int(len(accuracy.index)),
        "exRaspExactList": word_list([code(op) for op in exact]) if exact else "none",
        "exRaspBreak": softmax_breaking_length(beta, vocab),
        "exRaspSoftmaxHalf": int(below_half[0]) if below_half else float("nan"),
        "exRaspSoftmaxHigh": at("softmax", ns[-1]),
        "exRaspHardmaxHigh": at("hardmax", ns[-1]),
        "exRaspLogNHigh": at("softmax_logn", ns[-1]),
        "exRaspEluHigh": at("linear_elu", ns[-1]),
        "exRaspFavorHigh": at("favor", ns[-1]),
        "exRaspEluLow": at("linear_elu", ns[0]),
        "exRaspFavorLow": at("favor", ns[0]),
        "exRaspSoftmaxBreakAcc": at(
            "softmax", min(ns, key=lambda n: abs(n - softmax_breaking_length(beta, vocab)))
        ),
        "exRaspBreakN": int(min(ns, key=lambda n: abs(n - softmax_breaking_length(beta, vocab)))),
        "exRaspUniformHigh": at("uniform", ns[-1]),
    }


def macro_values(tables: dict[str, pd.DataFrame]) -> dict[str, float | int]:
    parity, collapse = tables["parity"], tables["rank_collapse"]
    lipschitz, sensitivity, hopfield = (
        tables["lipschitz"],
        tables["sensitivity"],
        tables["hopfield"],
    )

    plain, normed = parity[~parity.layer_norm], parity[parity.layer_norm]
    n_lo, n_hi = int(plain.n.min()), int(plain.n.max())

    depth = int(collapse.layer.max())
    mean_res = collapse.groupby(["operator", "variant", "layer"]).relative_residual.mean()

    def residual(variant, layer, operator="softmax"):
        return float(mean_res[(operator, variant, layer)])

    jac = lipschitz.groupby(["operator", "input", "scale"]).jacobian_norm.mean()
    scales = sorted(lipschitz.scale.unique())
    s_lo, s_hi = scales[0], scales[-1]
    one = "one_token"

    def growth(operator):
        return float(jac[(operator, one, s_hi)] / jac[(operator, one, s_lo)])

    sens = sensitivity.groupby(["operator", "n"])[["mean_delta", "max_delta"]].mean()
    soft = sens.loc["softmax"]
    hard = sens.loc["hardmax"]
    ns = soft.index.to_numpy()

    hop = hopfield.groupby(["num_patterns", "beta"])[
        ["effective_patterns", "cosine_to_target"]
    ].mean()
    n_pat = int(hopfield.num_patterns.max())
    big = hop.loc[n_pat]
    betas = big.index.to_numpy()
    phase = phase_values(tables["rank_collapse_scale"]) if "rank_collapse_scale" in tables else {}
    phase |= rasp_values(tables["rasp"]) if "rasp" in tables else {}
    return phase | {
        "exParityNLow": n_lo,
        "exParityNHigh": n_hi,
        "exParityMinAccuracy": float(parity.accuracy.min()),
        "exParityMarginLow": float(plain[plain.n == n_lo].margin.iloc[0]),
        "exParityMarginHigh": float(plain[plain.n == n_hi].margin.iloc[0]),
        "exParityMarginSlope": loglog_slope(plain.n, plain.margin),
        "exParityCrossEntropyHigh": float(plain[plain.n == n_hi].cross_entropy_bits.iloc[0]),
        "exParityLayerNormCrossEntropy": float(normed.cross_entropy_bits.max()),
        "exCollapseDepth": depth,
        "exCollapsePureLast": residual("pure", depth),
        "exCollapsePureOne": residual("pure", 1),
        "exCollapseInitial": residual("pure", 0),
        "exCollapseSkipLast": residual("skip", depth),
        "exCollapseMlpLast": residual("mlp", depth),
        "exCollapseSkipMlpLast": residual("skip+mlp", depth),
        "exCollapseLtwoPureLast": residual("pure", depth, "l2"),
        "exLipScaleLow": float(s_lo),
        "exLipScaleHigh": float(s_hi),
        "exLipSoftmaxGrowth": growth("softmax"),
        "exLipLtwoGrowth": growth("l2"),
        "exLipLtwoMax": float(jac.loc["l2"].max()),
        "exLipSoftmaxSlope": loglog_slope(
            [s for s in scales if s >= 2], [jac[("softmax", one, s)] for s in scales if s >= 2]
        ),
        "exSensNLow": int(ns.min()),
        "exSensNHigh": int(ns.max()),
        "exSensSoftmaxSlope": loglog_slope(ns, soft.mean_delta),
        "exSensSoftmaxMaxSlope": loglog_slope(ns, soft.max_delta),
        "exSensHardmaxMaxSlope": loglog_slope(ns, hard.max_delta),
        "exHopPatterns": n_pat,
        "exHopBetaLow": float(betas.min()),
        "exHopBetaHigh": float(betas.max()),
        "exHopEffLowBeta": float(big.effective_patterns.iloc[0]),
        "exHopEffHighBeta": float(big.effective_patterns.iloc[-1]),
        "exHopCosHighBeta": float(big.cosine_to_target.iloc[-1]),
        "exHopCosBest": float(big.cosine_to_target.max()),
        "exHopBetaSingle": float(
            betas[big.effective_patterns.to_numpy() < 1.5].min()
            if (big.effective_patterns < 1.5).any()
            else np.nan
        ),
    }
