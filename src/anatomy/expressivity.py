"""The numbers the expressivity section quotes, computed from the measurement tables."""

from __future__ import annotations

import numpy as np
import pandas as pd


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x (y clipped at the smallest positive float)."""
    y = np.clip(np.asarray(y, float), np.finfo(float).tiny, None)
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(y), 1)[0])


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
    return {
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
