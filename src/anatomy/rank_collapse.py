"""Rank collapse with depth (Dong, Cordonnier & Loukas 2021).

``res(X) = X - 1 mean(X)^T`` is what distinguishes the tokens. Pure self-attention mixes
tokens convexly at every layer, so ``|res(X)| / |X|`` falls doubly exponentially with depth;
skip connections stop the collapse, MLPs only slow it.
"""

from __future__ import annotations

import math

import pandas as pd
import torch
from torch import Tensor

from anatomy import operators

DTYPE = torch.float64
VARIANTS = ("pure", "mlp", "skip", "skip+mlp")


def relative_residual(x: Tensor) -> float:
    """``|X - 1 mean(X)^T|_F / |X|_F`` for ``x (n, d)``: 0 when all tokens are equal."""
    return float((x - x.mean(0, keepdim=True)).norm() / x.norm())


class RandomLayer:
    """One layer with random weights: attention (one head), optional MLP, optional skip."""

    def __init__(self, d: int, variant: str, operator: str, generator):
        def w(rows, cols, gain=1.0):
            return (
                torch.randn(rows, cols, generator=generator, dtype=DTYPE) * gain / math.sqrt(rows)
            )

        self.operator = operators.get(operator)
        self.w_q, self.w_k, self.w_v = w(d, d), w(d, d), w(d, d)
        if self.operator.kernel.tied_qk:
            self.w_k = self.w_q
        self.w_1, self.w_2 = w(d, 4 * d, math.sqrt(2)), w(4 * d, d)
        self.skip = variant.startswith("skip")
        self.mlp = variant.endswith("mlp")

    def __call__(self, x: Tensor) -> Tensor:
        h = self.operator(x @ self.w_q, x @ self.w_k, x @ self.w_v)  # (n, d)
        if self.skip:
            h = x + h
        if self.mlp:
            m = torch.relu(h @ self.w_1) @ self.w_2
            h = h + m if self.skip else m
        return h


def depth_sweep(
    n: int, d: int, depth: int, variants, operator_names, trials: int, seed: int
) -> pd.DataFrame:
    """Long table: relative residual per (operator, variant, trial, layer 0..depth)."""
    rows = []
    for operator in operator_names:
        for variant in variants:
            g = torch.Generator().manual_seed(seed)  # the same inputs and weights per variant
            for trial in range(trials):
                x = torch.randn(n, d, generator=g, dtype=DTYPE)
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
