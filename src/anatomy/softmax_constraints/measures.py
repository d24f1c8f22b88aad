"""What softmax constrains: sharpness against the number of items, and structural properties.

Part (a), :func:`sharpness_sweep`: one target logit sits ``gap`` above the largest of ``n - 1``
distractor logits. Every normalizer in the registry turns the row into weights; we record the
weight on the target, the entropy of the (renormalized) weights and the support size. With
equal distractors softmax's target weight has the closed form ``e^gap / (e^gap + n - 1)``
(:func:`softmax_target_weight`), which decays like ``1/n`` (Velickovic et al. 2024).

Part (b), :func:`structural_properties`: one self-attention layer ``f(X) = A(X) X W_v`` with
random weights, measured numerically: permutation equivariance with and without positional
encodings, linearity in V for a fixed weight matrix, (non)additivity in X, invariance to a
constant added to each row of scores, convexity of the weights, exact zeros.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from anatomy.core import operators
from anatomy.core.positions import sinusoidal_positions

DTYPE = torch.float64  # properties are identities; float64 keeps their residuals at ~1e-16


def softmax_target_weight(gap: float, n: int | Tensor) -> float | Tensor:
    """Softmax weight of one target ``gap`` above ``n - 1`` equal distractors."""
    return math.exp(gap) / (math.exp(gap) + n - 1)


def sharpness_logits(n: int, gap: float, noise_std: float, trials: int, generator) -> Tensor:
    """Rows of ``n`` logits, target at index 0 exactly ``gap`` above the largest distractor.

    Distractors are ``noise_std * N(0, 1)``; with ``noise_std = 0`` they are all equal and
    softmax meets its closed form. Shape ``(trials, n)``.
    """
    distractors = noise_std * torch.randn(trials, n - 1, generator=generator, dtype=DTYPE)
    target = distractors.max(-1, keepdim=True).values + gap
    return torch.cat([target, distractors], dim=-1)


def weight_statistics(weights: Tensor, target: int = 0) -> dict[str, Tensor]:
    """Per-row statistics of a weight matrix ``(rows, n)``; entropy in nats."""
    row_sum = weights.sum(-1)
    entropy = operators.row_entropy(weights)
    n = weights.shape[-1]
    return {
        "target_weight": weights[:, target],
        "entropy": entropy,
        "normalized_entropy": entropy / math.log(n),
        "support": (weights > 0).sum(-1).to(weights.dtype),
        "row_sum": row_sum,
    }


def sharpness_sweep(
    normalizer_names: Sequence[str],
    ns: Iterable[int],
    gap: float,
    noise_stds: Iterable[float],
    trials: int,
    seed: int,
    device: str = "cpu",
) -> pd.DataFrame:
    """Long table: one row per (normalizer, n, noise_std, trial, metric).

    Normalizers are named as in :func:`anatomy.core.operators.logit_normalizers`.
    """
    normalizers = operators.logit_normalizers()
    generator = torch.Generator().manual_seed(seed)
    frames = []
    for noise_std in noise_stds:
        for n in ns:
            logits = sharpness_logits(n, gap, noise_std, trials, generator).to(device)
            for name in normalizer_names:
                weights = normalizers[name](logits)
                for metric, values in weight_statistics(weights).items():
                    frames.append(
                        pd.DataFrame(
                            {
                                "normalizer": name,
                                "n": n,
                                "noise_std": noise_std,
                                "trial": range(trials),
                                "metric": metric,
                                "value": values.cpu().numpy(),
                            }
                        )
                    )
    return pd.concat(frames, ignore_index=True)


def gap_sweep(
    normalizer_names: Sequence[str],
    ns: Iterable[int],
    gaps: Iterable[float],
    noise_stds: Iterable[float],
    trials: int,
    seed: int,
    device: str = "cpu",
) -> pd.DataFrame:
    """:func:`sharpness_sweep` at every target gap (a ``gap`` column). Every gap sees the same
    distractors (one seed), so a curve against the gap moves the target alone."""
    ns, noise_stds = list(ns), list(noise_stds)
    return pd.concat(
        [
            sharpness_sweep(normalizer_names, ns, gap, noise_stds, trials, seed, device).assign(
                gap=float(gap)
            )
            for gap in gaps
        ],
        ignore_index=True,
    )


PUBLISHED_GAP = 2.0  # the gap at which Velickovic et al. (2024) quote softmax's target weight
FULL_WEIGHT = 1 - 1e-9  # a target weight this close to 1 is "all the weight"


def support_threshold(table: pd.DataFrame, normalizer: str, noise: float = 0.0) -> pd.Series:
    """Per n: the smallest gap of :func:`gap_sweep`'s grid from which on every row puts all its
    weight on the target (NaN where no gap does): a sparse normalizer's support threshold,
    measured on the grid rather than quoted."""
    rows = table[
        (table.normalizer == normalizer)
        & (table.metric == "target_weight")
        & (table.noise_std == noise)
    ]
    lowest = rows.groupby(["n", "gap"]).value.min().unstack("gap").sort_index(axis=1)
    full = lowest >= FULL_WEIGHT
    # From this gap on, every larger gap is full too: the reversed running minimum.
    from_here_on = full.iloc[:, ::-1].cummin(axis=1).iloc[:, ::-1]
    return from_here_on.apply(
        lambda row: float(row.index[row.to_numpy()].min()) if row.any() else float("nan"), axis=1
    )


def gap_values(table: pd.DataFrame, gap: float, ns: tuple[int, int]) -> dict[str, float]:
    """The gap sweep's numbers the section and the reproduction table quote: softmax's target
    weight at ``gap`` for the two ``ns`` (clean distractors), the same with noisy
    distractors (mean and 95% interval over rows), and the sparse support thresholds (the
    largest over n, with the smallest beside it: "at any n" means they agree)."""
    from anatomy.core.intervals import mean_ci

    noises = sorted(table.noise_std.unique())
    clean, noisy = noises[0], noises[-1]
    at_gap = table[np.isclose(table.gap, gap) & (table.metric == "target_weight")]
    soft = at_gap[at_gap.normalizer == "softmax"]
    grid = sorted(table.gap.unique())
    out: dict[str, float] = {
        "scGapSweepGap": float(gap),
        "scGapStep": float(grid[1] - grid[0]) if len(grid) > 1 else float("nan"),
    }
    for n, name in zip(ns, ("Small", "Large"), strict=True):
        rows = soft[soft.n == n]
        out[f"scGapSweepN{name}"] = int(n)
        out[f"scGapSoftmax{name}"] = float(rows[rows.noise_std == clean].value.mean())
        noisy_mean, noisy_ci = mean_ci(rows[rows.noise_std == noisy].value)
        out[f"scGapSoftmaxNoisy{name}"] = float(noisy_mean)
        out[f"scGapSoftmaxNoisy{name}Ci"] = float(noisy_ci)
    for normalizer, name in (("sparsemax", "Sparsemax"), ("entmax15", "Entmax")):
        threshold = support_threshold(table, normalizer, clean)
        out[f"sc{name}Threshold"] = float(threshold.max())
        out[f"sc{name}ThresholdMin"] = float(threshold.min())
        out[f"sc{name}ThresholdNoisy"] = float(support_threshold(table, normalizer, noisy).max())
    return out


# --------------------------------------------------------------------------------------------
# Part (b): structural properties of one self-attention layer
# --------------------------------------------------------------------------------------------


class SelfAttentionLayer:
    """``f(X) = normalizer(kernel(X W_q, X W_k)) X W_v`` with fixed random projections."""

    def __init__(self, operator_name: str, d: int, generator, positions: Tensor | None = None):
        self.operator = operators.get(operator_name)
        scale = 1.0 / math.sqrt(d)
        w_q, w_k, w_v = (
            torch.randn(d, d, generator=generator, dtype=DTYPE) * scale for _ in range(3)
        )
        self.w_q, self.w_k, self.w_v = w_q, self.operator.key_projection(w_q, lambda: w_k), w_v
        self.positions = positions

    def _inputs(self, x: Tensor) -> Tensor:
        return x if self.positions is None else x + self.positions

    def weights(self, x: Tensor) -> Tensor:
        h = self._inputs(x)
        return self.operator.weights(h @ self.w_q, h @ self.w_k)  # (n, n)

    def __call__(self, x: Tensor) -> Tensor:
        h = self._inputs(x)
        return self.operator(h @ self.w_q, h @ self.w_k, h @ self.w_v)  # (n, d)


def relative_error(a: Tensor, b: Tensor) -> float:
    return float((a - b).norm() / b.norm().clamp_min(torch.finfo(b.dtype).tiny))


def measure_properties(operator_name: str, n: int, d: int, generator) -> dict[str, float]:
    """One trial of every structural property for one operator (float64)."""
    x, x2 = (torch.randn(n, d, generator=generator, dtype=DTYPE) for _ in range(2))
    layer = SelfAttentionLayer(operator_name, d, generator)
    with_positions = SelfAttentionLayer(operator_name, d, generator, sinusoidal_positions(n, d))
    perm = torch.randperm(n, generator=generator)
    normalizer = layer.operator.normalizer

    weights = layer.weights(x)  # (n, n)
    v1, v2 = (torch.randn(n, d, generator=generator, dtype=DTYPE) for _ in range(2))
    a, b = torch.randn(2, generator=generator, dtype=DTYPE)
    scores = layer.operator.kernel.scores(x @ layer.w_q, x @ layer.w_k)
    shift = 3.0 * torch.randn(n, 1, generator=generator, dtype=DTYPE)  # one constant per row

    # Values with an offset so that shrinking or inflating the rows leaves their bounding box.
    values = 2.0 + torch.randn(n, d, generator=generator, dtype=DTYPE)
    out = weights @ values
    outside_box = (out < values.min(0).values) | (out > values.max(0).values)
    convex = (weights >= 0).all(-1) & ((weights.sum(-1) - 1).abs() < 1e-9)

    return {
        "permutation_error": relative_error(layer(x[perm]), layer(x)[perm]),
        "permutation_error_with_positions": relative_error(
            with_positions(x[perm]), with_positions(x)[perm]
        ),
        "linearity_in_v_error": relative_error(
            weights @ (a * v1 + b * v2), a * (weights @ v1) + b * (weights @ v2)
        ),
        "additivity_in_x_error": relative_error(layer(x) + layer(x2), layer(x + x2)),
        # Feature kernels' scores are magnitudes: a shifted row may turn negative and is not a
        # valid input, so the property is undefined (NaN) for them.
        "shift_invariance_error": relative_error(normalizer(scores + shift), normalizer(scores))
        if normalizer.accepts_logits
        else float("nan"),
        "convex_row_fraction": float(convex.to(DTYPE).mean()),
        "outside_value_box_fraction": float(outside_box.any(-1).to(DTYPE).mean()),
        "exact_zero_fraction": float((weights == 0).to(DTYPE).mean()),
        "max_row_sum_deviation": float((weights.sum(-1) - 1).abs().max()),
    }


PROPERTIES = (
    "permutation_error",
    "permutation_error_with_positions",
    "linearity_in_v_error",
    "additivity_in_x_error",
    "shift_invariance_error",
    "convex_row_fraction",
    "outside_value_box_fraction",
    "exact_zero_fraction",
    "max_row_sum_deviation",
)


def structural_properties(
    operator_names: Sequence[str], n: int, d: int, trials: int, seed: int
) -> pd.DataFrame:
    """Long table: one row per (operator, trial, property)."""
    rows = []
    for name in operator_names:
        generator = torch.Generator().manual_seed(seed)  # same inputs for every operator
        for trial in range(trials):
            for prop, value in measure_properties(name, n, d, generator).items():
                rows.append({"operator": name, "trial": trial, "property": prop, "value": value})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Summaries for the note: the properties table and the macros the prose quotes
# --------------------------------------------------------------------------------------------

# How each property is read across trials: errors by their worst case, fractions by the mean.
PROPERTY_SUMMARY = {
    # property: (aggregate over trials, column head, what it measures)
    "permutation_error": ("max", r"perm.", r"permutation equivariance error, no positions"),
    "permutation_error_with_positions": (
        "min",
        r"perm.+pos.",
        r"permutation equivariance error, sinusoidal positions",
    ),
    "linearity_in_v_error": ("max", r"lin.\ $V$", r"linearity error in $V$, weights fixed"),
    "additivity_in_x_error": (
        "min",
        r"add.\ $X$",
        r"$\|f(X_1{+}X_2)-f(X_1)-f(X_2)\|/\|f(X_1{+}X_2)\|$",
    ),
    "shift_invariance_error": ("max", r"shift", r"change under a constant added to each score row"),
    "convex_row_fraction": ("mean", r"convex", r"fraction of rows that are convex combinations"),
    "outside_value_box_fraction": (
        "mean",
        r"outside",
        r"fraction of outputs outside the values' bounding box",
    ),
    "exact_zero_fraction": ("mean", r"zeros", r"fraction of weights exactly zero"),
    "max_row_sum_deviation": ("max", r"$|\Sigma{-}1|$", r"largest $|\sum_j w_{ij} - 1|$"),
}


def summarize_properties(table: pd.DataFrame) -> pd.DataFrame:
    """Property x operator, each property aggregated over trials as PROPERTY_SUMMARY says."""
    operators_in_order = list(dict.fromkeys(table.operator))
    out = {}
    for prop, (how, _, _) in PROPERTY_SUMMARY.items():
        values = table[table.property == prop].groupby("operator").value.agg(how)
        out[prop] = values.reindex(operators_in_order)
    return pd.DataFrame(out).T


def _cell(sharpness: pd.DataFrame, normalizer: str, metric: str, n: int, noise: float, how="mean"):
    rows = sharpness[
        (sharpness.normalizer == normalizer)
        & (sharpness.metric == metric)
        & (sharpness.n == n)
        & (sharpness.noise_std == noise)
    ]
    if rows.empty:
        raise KeyError(f"no sharpness rows for {normalizer}/{metric}/n={n}/noise={noise}")
    return float(rows.value.agg(how))


def macro_values(sharpness: pd.DataFrame, properties: pd.DataFrame, gap: float) -> dict[str, float]:
    """The numbers the section quotes, by macro name (values, not yet formatted)."""
    ns = sorted(int(n) for n in sharpness.n.unique())
    small = 16 if 16 in ns else ns[0]
    large = ns[-1]
    noises = sorted(float(x) for x in sharpness.noise_std.unique())
    clean, noisy = noises[0], noises[-1]
    summary = summarize_properties(properties)
    shift_invariant = [n for n in summary.columns if operators.get(n).normalizer.shift_invariant]
    content = [n for n in summary.columns if n != "uniform"]  # uniform ignores its input

    softmax_clean = (
        sharpness[
            (sharpness.normalizer == "softmax")
            & (sharpness.metric == "target_weight")
            & (sharpness.noise_std == clean)
        ]
        .groupby("n")
        .value.mean()
    )
    closed = softmax_target_weight(gap, softmax_clean.index.to_numpy())
    sparse_ops = ["sparsemax", "entmax15"]
    sparse_targets = sharpness[
        sharpness.normalizer.isin(sparse_ops) & (sharpness.metric == "target_weight")
    ]
    sparse_support = sharpness[
        sharpness.normalizer.isin(sparse_ops) & (sharpness.metric == "support")
    ]
    return {
        "scGap": gap,
        "scSmallN": small,
        "scLargeN": large,
        "scCleanNoise": clean,
        "scNoisyNoise": noisy,
        "scTrials": int(sharpness.trial.max()) + 1,
        "scSoftmaxTargetSmallN": _cell(sharpness, "softmax", "target_weight", small, clean),
        "scSoftmaxTargetLargeN": _cell(sharpness, "softmax", "target_weight", large, clean),
        "scClosedFormSmallN": softmax_target_weight(gap, small),
        "scClosedFormLargeN": softmax_target_weight(gap, large),
        "scSoftmaxClosedFormError": float(abs(softmax_clean.to_numpy() - closed).max()),
        "scSoftmaxNoisyTargetLargeN": _cell(sharpness, "softmax", "target_weight", large, noisy),
        "scSoftmaxEntropyLargeN": _cell(sharpness, "softmax", "normalized_entropy", large, clean),
        "scSigmoidTargetLargeN": _cell(sharpness, "sigmoid", "target_weight", large, clean),
        "scSparseMinTarget": float(sparse_targets.value.min()),
        "scSparseMaxSupport": int(sparse_support.value.max()),
        "scEntmaxMeanSupportNoisy": float(
            sharpness[
                (sharpness.normalizer == "entmax15")
                & (sharpness.metric == "support")
                & (sharpness.noise_std == noisy)
            ].value.mean()
        ),
        "scMaxPermutationError": float(summary.loc["permutation_error"].max()),
        "scMinPermutationErrorPositions": float(
            summary.loc["permutation_error_with_positions", content].min()
        ),
        "scLinearReluZeroFraction": float(summary.loc["exact_zero_fraction", "linear_relu"]),
        "scMaxLinearityError": float(summary.loc["linearity_in_v_error"].max()),
        "scMinAdditivityError": float(summary.loc["additivity_in_x_error", content].min()),
        "scUniformAdditivityError": float(summary.loc["additivity_in_x_error", "uniform"]),
        "scMaxShiftErrorNormalized": float(
            summary.loc["shift_invariance_error", shift_invariant].max()
        ),
        "scSoftmaxLogNTargetLargeN": _cell(
            sharpness, "softmax-logn", "target_weight", large, clean
        ),
        "scReluTargetLargeN": _cell(sharpness, "relu", "target_weight", large, clean),
        "scSigmoidShiftError": float(summary.loc["shift_invariance_error", "sigmoid"]),
        "scSigmoidConvexFraction": float(summary.loc["convex_row_fraction", "sigmoid"]),
        "scSigmoidOutsideBox": float(summary.loc["outside_value_box_fraction", "sigmoid"]),
        "scHardmaxZeroFraction": float(summary.loc["exact_zero_fraction", "hardmax"]),
        "scSparsemaxZeroFraction": float(summary.loc["exact_zero_fraction", "sparsemax"]),
        "scEntmaxZeroFraction": float(summary.loc["exact_zero_fraction", "entmax15"]),
        "scSoftmaxZeroFraction": float(summary.loc["exact_zero_fraction", "softmax"]),
    }
