"""Rank collapse with depth (Dong, Cordonnier & Loukas 2021).

``res(X) = X - 1 mean(X)^T`` is what distinguishes the tokens. Pure self-attention mixes
tokens convexly at every layer, so ``|res(X)| / |X|`` falls doubly exponentially with depth;
skip connections stop the collapse, MLPs only slow it.

Two controls keep that reading honest (:func:`scale_sweep`). The input scale multiplies every
logit by ``scale**2``, so it stands in for the temperature: a residual that survives at one
scale may collapse at another. And a random ReLU MLP shrinks the residual by itself (its
outputs share a positive mean), so the MLP variants are read against an MLP-only stack with
no attention (``mlp_only``), and against an MLP with a centred, odd activation (``tanh``),
which adds no shared component of its own.
"""

from __future__ import annotations

import math

import pandas as pd
import torch
from torch import Tensor

from anatomy.core import operators

DTYPE = torch.float64
VARIANTS = ("pure", "mlp", "skip", "skip+mlp")
# The scale sweep's variants: the four above, the MLP-only controls (no attention) and the
# centred (tanh) MLP with and without attention.
SCALE_VARIANTS = VARIANTS + ("mlp_only", "skip+mlp_only", "skip+tanh", "skip+tanh_only")


def relative_residual(x: Tensor) -> float:
    """``|X - 1 mean(X)^T|_F / |X|_F`` for ``x (n, d)``: 0 when all tokens are equal; NaN
    when ``X`` has under- or overflowed (a zero or non-finite norm), so that an undefined
    residual is never read as a collapse or as its absence."""
    norm = x.norm()
    if not torch.isfinite(norm) or norm == 0:
        return float("nan")
    return float((x - x.mean(0, keepdim=True)).norm() / norm)


class RandomLayer:
    """One layer with random weights: attention (one head), optional MLP, optional skip."""

    def __init__(self, d: int, variant: str, operator: str, generator):
        def w(rows, cols, gain=1.0):
            return (
                torch.randn(rows, cols, generator=generator, dtype=DTYPE) * gain / math.sqrt(rows)
            )

        self.operator = operators.get(operator)
        w_q, w_k, w_v = w(d, d), w(d, d), w(d, d)
        self.w_q, self.w_k, self.w_v = w_q, self.operator.key_projection(w_q, lambda: w_k), w_v
        self.w_1, self.w_2 = w(d, 4 * d, math.sqrt(2)), w(4 * d, d)
        self.skip = variant.startswith("skip")
        self.attention = not variant.endswith("_only")  # "..._only": the MLP stack alone
        self.mlp = variant.removesuffix("_only").split("+")[-1] in ("mlp", "tanh")
        self.activation = torch.tanh if "tanh" in variant else torch.relu

    def __call__(self, x: Tensor) -> Tensor:
        h = x
        if self.attention:
            h = self.operator(x @ self.w_q, x @ self.w_k, x @ self.w_v)  # (n, d)
            if self.skip:
                h = x + h
        if self.mlp:
            m = self.activation(h @ self.w_1) @ self.w_2
            h = h + m if self.skip else m
        return h


def depth_sweep(
    n: int, d: int, depth: int, variants, operator_names, trials: int, seed: int, scale=1.0
) -> pd.DataFrame:
    """Long table: relative residual per (operator, variant, trial, layer 0..depth), for
    inputs ``scale * N(0, 1)``."""
    rows = []
    for operator in operator_names:
        for variant in variants:
            g = torch.Generator().manual_seed(seed)  # the same inputs and weights per variant
            for trial in range(trials):
                x = scale * torch.randn(n, d, generator=g, dtype=DTYPE)
                layers = [RandomLayer(d, variant, operator, g) for _ in range(depth)]
                for layer_index in range(depth + 1):
                    if layer_index:
                        x = layers[layer_index - 1](x)
                    rows.append(
                        {
                            "operator": operator,
                            "variant": variant,
                            "trial": trial,
                            "layer": layer_index,
                            "relative_residual": relative_residual(x),
                        }
                    )
    return pd.DataFrame(rows)


def scale_sweep(
    n: int, d: int, depth: int, scales, variants, operator_names, trials: int, seed: int
) -> pd.DataFrame:
    """:func:`depth_sweep` at every input scale (a ``scale`` column): the phase diagram of
    rank collapse, residual against depth and scale. Every scale sees the same draws. The
    MLP-only controls (``..._only``) contain no attention, so they run once, with
    ``operator = "none"``."""
    attention = [v for v in variants if not v.endswith("_only")]
    alone = [v for v in variants if v.endswith("_only")]
    frames = []
    for scale in scales:
        parts = [depth_sweep(n, d, depth, attention, operator_names, trials, seed, scale)]
        if alone:
            part = depth_sweep(n, d, depth, alone, operator_names[:1], trials, seed, scale)
            parts.append(part.assign(operator="none"))
        frames.append(pd.concat(parts, ignore_index=True).assign(scale=float(scale)))
    return pd.concat(frames, ignore_index=True)


def collapse_scale(table: pd.DataFrame, threshold: float) -> pd.Series:
    """Per (operator, variant): the largest input scale of ``table`` (:func:`scale_sweep`) such
    that the mean residual after the last layer is below ``threshold`` at that scale and at
    every smaller one (NaN where the smallest scale does not collapse, or a draw is
    undefined): collapse happens from that scale down."""
    last = table[table.layer == table.layer.max()]
    mean = last.groupby(["operator", "variant", "scale"]).relative_residual.agg(
        lambda v: v.mean() if v.notna().all() else float("nan")
    )
    out = {}
    for key, part in mean.groupby(level=["operator", "variant"]):
        part = part.droplevel(["operator", "variant"]).sort_index()
        from_below = (part < threshold).cummin()  # collapsed here and at every smaller scale
        out[key] = (
            float(part.index[from_below.to_numpy()].max()) if from_below.any() else float("nan")
        )
    return pd.Series(out).rename_axis(["operator", "variant"])
