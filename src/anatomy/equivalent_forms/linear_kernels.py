"""Softmax as one kernel among many: how well random features approximate it, what linear
kernels lose (spikiness, monotonicity, capacity), each as a tidy table.

Every sweep draws ``q, k`` with unit-variance entries, the scale attention sees after a
layer norm; an inverse temperature ``beta`` multiplies the scores ``q . k / sqrt d``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from anatomy.core import operators
from anatomy.core import random_features as rf
from anatomy.core.formatting import fmt_int, pm
from anatomy.core.intervals import mean_ci
from anatomy.equivalent_forms import speed


def _normal(shape, g) -> torch.Tensor:
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def on_sphere(n: int, d: int, radius: float, g) -> torch.Tensor:
    """``n`` random directions in ``R^d`` of length ``radius``."""
    x = _normal((n, d), g)
    return radius * x / x.norm(dim=-1, keepdim=True)


def mse_sweep(
    d: int, radius: float, pairs: int, draws: int, ms: list[int], seed: int
) -> pd.DataFrame:
    """MSE of each estimator of ``exp(x . y)`` against ``m``, for iid and orthogonal draws,
    with the closed-form iid MSE; ``x, y`` of length ``radius`` (the scaled ``q d^-1/4``),
    averaged over ``pairs`` random pairs."""
    g = torch.Generator().manual_seed(seed)
    x, y = on_sphere(pairs, d, radius, g), on_sphere(pairs, d, radius, g)
    truth = torch.exp((x * y).sum(-1))  # (pairs,)
    rows = []
    for m in ms:
        for draw in rf.DRAWS:
            w = rf.draw_projections(draws, m, d, draw, g)  # (draws, m, d)
            for kind in rf.FEATURES:
                est = rf.kernel_estimate(x, y, w, kind)  # (draws, pairs)
                err = ((est - truth) ** 2).mean(0)  # per pair
                theory = rf.closed_form_mse(x, y, m, kind)
                rows.append(
                    {
                        "features": kind,
                        "draw": draw,
                        "m": m,
                        "mse": float(err.mean()),
                        "relative_mse": float((err / truth**2).mean()),
                        "theory": float(theory.mean()),
                        "bias": float(((est.mean(0) - truth) / truth).abs().mean()),
                    }
                )
    return pd.DataFrame(rows)


def attention_error_sweep(
    n: int, d: int, ms: Sequence[int], betas: Sequence[float], draws: int, seed: int
) -> pd.DataFrame:
    """FAVOR+ (positive features) against exact softmax attention, per ``m``, inverse
    temperature and draw: total variation per row of the weights, the output error (RMS,
    relative to the values' RMS), and the exact rows' entropy (normalized by ``log n``)."""
    g = torch.Generator().manual_seed(seed)
    q, k, v = _normal((draws, n, d), g), _normal((draws, n, d), g), _normal((draws, n, d), g)
    rows = []
    for beta in betas:
        qb = q * beta
        exact = torch.softmax(qb @ k.transpose(-2, -1) / math.sqrt(d), -1)  # (draws, n, n)
        entropy = operators.row_entropy(exact).mean() / math.log(n)
        out = exact @ v
        for m in ms:
            for draw in rf.DRAWS:
                w = rf.draw_projections(draws, m, d, draw, g)  # one projection per sequence
                approx = rf.approximate_weights(qb, k, w)
                rows.append(
                    {
                        "beta": beta,
                        "m": m,
                        "draw": draw,
                        "entropy": float(entropy),
                        "weight_tv": float(0.5 * (approx - exact).abs().sum(-1).mean()),
                        "output_error": float(
                            ((approx @ v - out) ** 2).mean().sqrt() / (v**2).mean().sqrt()
                        ),
                    }
                )
    return pd.DataFrame(rows)


def spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``a`` with the same row of ``b`` (average ranks
    for ties); NaN where a row is constant."""
    ra = pd.DataFrame(a).rank(axis=1).to_numpy()
    rb = pd.DataFrame(b).rank(axis=1).to_numpy()
    ra, rb = ra - ra.mean(1, keepdims=True), rb - rb.mean(1, keepdims=True)
    den = np.sqrt((ra**2).sum(1) * (rb**2).sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (ra * rb).sum(1) / den, np.nan)


def spikiness_table(names: list[str], n: int, d: int, trials: int, seed: int) -> pd.DataFrame:
    """Per operator, on the same inputs: the rows' entropy (normalized by ``log n``), the
    largest weight, and the Spearman correlation between ``q . k`` and the weight
    (monotonicity; softmax is exactly 1)."""
    g = torch.Generator().manual_seed(seed)
    q, k = _normal((trials, n, d), g), _normal((trials, n, d), g)
    dots = (q @ k.transpose(-2, -1)).reshape(-1, n).numpy()
    rows = []
    for name in names:
        op = operators.get(name)
        w = op.weights(q, k)  # (trials, n, n)
        rho = spearman_rows(dots, w.reshape(-1, n).detach().numpy())
        rows.append(
            {
                "operator": name,
                "kernel": op.kernel.name,
                "normalizer": op.normalizer.name,
                "entropy": float(operators.row_entropy(w).mean() / math.log(n)),
                "max_weight": float(w.amax(-1).mean()),
                "spearman": float(np.nanmean(rho)) if np.isfinite(rho).any() else float("nan"),
                "zero_fraction": float((w == 0).double().mean()),
            }
        )
    return pd.DataFrame(rows)


CAPACITY_KERNELS = ("softmax", "linear_elu", "linear_relu")


def retrieval_loss(weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Mean squared error of ``weights @ values`` against the values themselves (each query
    is a stored key), divided by the values' mean square; per trial."""
    err = ((weights @ values - values) ** 2).mean((-2, -1))
    return err / (values**2).mean((-2, -1))


def capacity_sweep(
    d: int, pair_counts: Sequence[int], features: Sequence[int], trials: int, seed: int
) -> pd.DataFrame:
    """Associative retrieval without training: store ``N`` random (key, value) pairs, query
    with each key, and measure the retrieval loss for softmax, the linear kernels (feature
    dimension ``d``) and FAVOR+ with ``m`` features (Schlag et al. 2021)."""
    g = torch.Generator().manual_seed(seed)
    kernels = {name: (operators.get(name), d) for name in CAPACITY_KERNELS}
    for m in features:
        favor = operators.AttentionOperator(
            f"favor{m}", operators.PositiveRandomFeatures(m, seed), operators.RowSum()
        )
        kernels[f"favor{m}"] = (favor, m)
    rows = []
    for count in pair_counts:
        keys, values = _normal((trials, count, d), g), _normal((trials, count, d), g)
        for name, (op, dimension) in kernels.items():
            loss = retrieval_loss(op.weights(keys, keys), values)
            rows.append(
                {
                    "kernel": name,
                    "pairs": count,
                    "feature_dim": dimension,
                    "loss": float(loss.mean()),
                    "loss_sd": float(loss.std()),
                }
            )
    return pd.DataFrame(rows)


RECALL_KERNELS = ("softmax", "linear_elu", "linear_relu", "favor")


def recall_against_position(
    zoo: pd.DataFrame, content_task: str, position_task: str, kernels=RECALL_KERNELS
) -> pd.DataFrame:
    """From the Layer A zoo: in-range accuracy of each kernel on a content task
    (associative recall) and on a purely positional one, and the gap between them; kernels
    the profile's zoo did not train are left out."""
    acc = zoo[(zoo.metric == "accuracy") & zoo.in_distribution & zoo.operator.isin(kernels)]
    kernels = [k for k in kernels if k in set(acc.operator)]
    table = (
        acc[acc.task.isin([content_task, position_task])]
        .groupby(["operator", "task"])
        .value.mean()
        .unstack("task")
        .reindex(list(kernels))
        .rename(columns={content_task: "content", position_task: "position"})
        .reset_index()
    )
    table["gap"] = table.position - table.content
    return table


def _slope(x, y) -> float:
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def adjacency_summary(maps: list[dict]) -> dict[str, dict[str, float]]:
    """Per operator of the dynamic-adjacency data, means over its training seeds: the query
    token's weight on the token holding the answer and the share of exact zeros in the
    (head-averaged) matrix, on the drawn inputs; and how much a query row moves between two
    inputs (:func:`anatomy.core.operators.row_change`), with the half-width of its 95% t
    interval over seeds (NaN for one seed)."""
    per_op: dict[str, list[dict]] = {}
    for entry in maps:
        w, source = entry["weights"], entry["source"][:, -1]
        on_answer = w[torch.arange(len(w)), -1, source]
        seed = {"answer": float(on_answer.mean()), "zeros": float((w == 0).double().mean())}
        if "row_change" in entry:
            seed["change"] = float(entry["row_change"].mean())
        per_op.setdefault(entry["operator"], []).append(seed)
    out = {}
    for op, seeds in per_op.items():
        out[op] = {key: float(np.mean([s[key] for s in seeds])) for key in ("answer", "zeros")}
        if all("change" in s for s in seeds):
            out[op]["change"], out[op]["change_ci"] = mean_ci([s["change"] for s in seeds])
    return out


def macro_values(
    t: dict[str, pd.DataFrame], recall: dict, adjacency: list[dict] | None = None
) -> dict[str, float | int | str]:
    """Every number the Layer B section quotes, from its tables (keyed by result part)."""
    v: dict[str, float | int | str] = {}
    mse = t["features"]
    for kind, name in (("positive", "Positive"), ("trig", "Trig"), ("hyperbolic", "Hyperbolic")):
        iid = mse[(mse.features == kind) & (mse.draw == "iid")]
        v[f"eqSlope{name}"] = _slope(iid.m, iid.mse)
        v[f"eqTheoryRatio{name}"] = float((iid.mse / iid.theory).median())
    pos = mse[mse.features == "positive"].pivot_table(index="m", columns="draw", values="mse")
    v["eqOrthRatio"] = float((pos.orthogonal / pos.iid).median())
    v["eqMmin"], v["eqMmax"] = int(mse.m.min()), int(mse.m.max())

    err = t["attention_error"]
    err = err[err.draw == "orthogonal"]
    m_lo, m_hi = int(err.m.min()), int(err.m.max())
    b_lo, b_hi = float(err.beta.min()), float(err.beta.max())
    at = err.set_index(["beta", "m"])
    v |= {
        "eqErrMlo": m_lo,
        "eqErrMhi": m_hi,
        "eqBetaLo": b_lo,
        "eqBetaHi": b_hi,
        "eqEntropyHigh": float(at.loc[(b_lo, m_hi), "entropy"]),
        "eqEntropyLow": float(at.loc[(b_hi, m_hi), "entropy"]),
        "eqTvHighMhi": float(at.loc[(b_lo, m_hi), "weight_tv"]),
        "eqTvHighMlo": float(at.loc[(b_lo, m_lo), "weight_tv"]),
        "eqTvLowMhi": float(at.loc[(b_hi, m_hi), "weight_tv"]),
        "eqTvLowMlo": float(at.loc[(b_hi, m_lo), "weight_tv"]),
        "eqOutHighMhi": float(at.loc[(b_lo, m_hi), "output_error"]),
        "eqOutLowMhi": float(at.loc[(b_hi, m_hi), "output_error"]),
    }

    spiky = t["spikiness"].set_index("operator")
    for op, name in (
        ("softmax", "Softmax"),
        ("linear_elu", "Elu"),
        ("linear_relu", "Relu"),
        ("favor", "Favor"),
        ("poly2", "Poly"),
        ("sparsemax", "Sparsemax"),
    ):
        if op in spiky.index:
            v[f"eqEntropy{name}"] = float(spiky.loc[op, "entropy"])
            v[f"eqSpearman{name}"] = float(spiky.loc[op, "spearman"])
            v[f"eqMaxWeight{name}"] = float(spiky.loc[op, "max_weight"])

    cap = t["capacity"].pivot_table(index="pairs", columns="kernel", values="loss")
    v["eqCapPairsMax"] = int(cap.index.max())
    v["eqCapPairsMin"] = int(cap.index.min())
    v["eqCapSoftmaxMax"] = float(cap.loc[cap.index.max(), "softmax"])
    v["eqCapSoftmaxMin"] = float(cap.loc[cap.index.min(), "softmax"])
    # Softmax's own dilution: how many times its loss grows from the fewest pairs to the most.
    v["eqCapSoftmaxRise"] = (
        v["eqCapSoftmaxMax"] / v["eqCapSoftmaxMin"] if v["eqCapSoftmaxMin"] > 0 else float("inf")
    )
    v["eqCapEluMin"] = float(cap.loc[cap.index.min(), "linear_elu"])
    v["eqCapD"] = int(t["capacity"].query("kernel == 'linear_elu'").feature_dim.iloc[0])
    favors = sorted(c for c in cap.columns if c.startswith("favor"))
    if favors:
        big = favors[-1] if len(favors) == 1 else max(favors, key=lambda c: int(c[5:]))
        v["eqCapFavorM"] = int(big[5:])
        lossy = cap.index[cap[big] > 0.1]
        v["eqCapFavorLossyAt"] = int(lossy.min()) if len(lossy) else "none"
        v["eqCapFavorMax"] = float(cap.loc[cap.index.max(), big])

    cross = speed.crossover(t["speed"]).set_index(["mode", "method"])
    for (mode, method), r in cross.iterrows():
        key = {"linear": "Linear", "favor": "Favor", "linear_causal_chunked": "Causal"}[method]
        key += {"forward": "Fwd", "forward_backward": "Bwd"}[mode]
        longest = fmt_int(r.longest)
        v[f"eqCross{key}"] = (
            f"$n={fmt_int(r.crossover)}$"
            if pd.notna(r.crossover)
            else f"beyond the longest length measured ($n={longest}$)"
        )
        v[f"eqSpeedup{key}"] = float(r.speedup_at_longest)
    v["eqSpeedLongest"] = int(t["speed"].n.max())
    skipped = t["speed"][t["speed"].skipped != ""].method.unique()
    v["eqSkippedBackends"] = ", ".join(sorted(skipped)).replace("_", r"\_") or "none"

    dec = t["decoding"].pivot_table(index="prefix", columns="method", values="seconds")
    longest, shortest = dec.index.max(), dec.index.min()
    v["eqDecodePrefix"] = int(longest)
    v["eqDecodeRatio"] = float(dec.loc[longest, "kv_cache"] / dec.loc[longest, "recurrent_state"])
    v["eqDecodeKvGrowth"] = float(dec.loc[longest, "kv_cache"] / dec.loc[shortest, "kv_cache"])
    v["eqDecodeStateGrowth"] = float(
        dec.loc[longest, "recurrent_state"] / dec.loc[shortest, "recurrent_state"]
    )

    eq = t["equivalences"].set_index("check").value
    v["eqRnnDiff"] = float(max(eq[c] for c in eq.index if c.startswith("causal elu+1")))
    v["eqFavorCausalDiff"] = float(eq["causal FAVOR+: parallel = chunked"])
    v["eqPrefixDiff"] = float(eq["causal FAVOR+: prefix unchanged by the future"])
    v["eqGnnDiff"] = float(max(eq[c] for c in eq.index if "message passing" in c))
    v["eqPygDiff"] = float(eq["softmax = torch_geometric TransformerConv"])
    v["eqGatRanking"] = float(eq["GATConv: queries ranking keys alike"])
    v["eqDotRanking"] = float(eq["dot product: queries ranking keys alike"])

    conv = t["conv_alpha"].set_index("alpha")
    mid = min(conv.index, key=lambda a: abs(a - 8.0))  # the alpha closest to 8
    v["eqConvAlphaMid"], v["eqConvErrMid"] = float(mid), float(conv.loc[mid, "relative_error"])
    v["eqConvLeakMid"] = float(conv.loc[mid, "leak"])
    top = conv.index.max()
    v["eqConvAlphaMax"], v["eqConvErrMax"] = float(top), float(conv.loc[top, "relative_error"])

    for op, summary in adjacency_summary(adjacency or []).items():
        name = op.title().replace("_", "")
        v[f"eqAdjAnswer{name}"], v[f"eqAdjZeros{name}"] = summary["answer"], summary["zeros"]
        if "change" in summary:
            v[f"eqAdjChange{name}"] = summary["change"]
            v[f"eqAdjChange{name}Ci"] = pm(summary["change_ci"])  # "" for one seed

    rec = recall_against_position(t["recall"], recall["content_task"], recall["position_task"])
    rec = rec.set_index("operator")
    keys = {"softmax": "Softmax", "linear_elu": "Elu", "linear_relu": "Relu", "favor": "Favor"}
    for operator, key in keys.items():  # no macro for a kernel the profile's zoo did not train
        if operator in rec.index:
            v[f"eqContent{key}"] = float(rec.loc[operator, "content"])
            v[f"eqPosition{key}"] = float(rec.loc[operator, "position"])
    return v
