"""Hahn's sensitivity limit (Hahn 2020) on a random one-layer attention readout.

A [CLS] token reads a binary string through one attention layer. Flipping one input bit
moves a soft-attention output by O(1/n): ``n |dy|`` stays bounded as n grows, which is why
PARITY's cross-entropy tends to chance. A hard normalizer can move the output by O(1) with
one flip (when the flipped token is the one it selects).
"""

from __future__ import annotations

import math

import pandas as pd
import torch

from anatomy.core import operators

DTYPE = torch.float64


def flip_sensitivity(operator_name: str, n: int, d: int, generator) -> dict[str, float]:
    """Mean and max over positions j of ``|y(x) - y(x with bit j flipped)|`` for one random draw.

    Tokens are a bit embedding plus a random positional embedding (so no two tokens tie);
    the [CLS] token at position 0 queries all tokens. ``y`` is its attention output.
    """
    op = operators.get(operator_name)
    bit_embedding = torch.randn(2, d, generator=generator, dtype=DTYPE)
    positions = 0.5 * torch.randn(n + 1, d, generator=generator, dtype=DTYPE)
    cls = torch.randn(d, generator=generator, dtype=DTYPE)
    w_q, w_k, w_v = (
        torch.randn(d, d, generator=generator, dtype=DTYPE) / math.sqrt(d) for _ in range(3)
    )
    w_k = op.key_projection(w_q, lambda: w_k)
    bits = torch.randint(0, 2, (n,), generator=generator)
    flipped = bits.expand(n, n).clone()
    flipped[torch.arange(n), torch.arange(n)] ^= 1  # row j has bit j flipped
    strings = torch.cat([bits.unsqueeze(0), flipped])  # (n + 1, n)
    x = (
        torch.cat([cls.expand(n + 1, 1, d), bit_embedding[strings]], dim=1) + positions
    )  # (n+1, n+1, d)
    y = op(x[:, :1] @ w_q, x @ w_k, x @ w_v)[:, 0]  # (n + 1, d): the [CLS] output per string
    delta = (y[1:] - y[:1]).norm(dim=-1)  # (n,)
    return {"mean_delta": float(delta.mean()), "max_delta": float(delta.max())}


def length_sweep(operator_names, ns, d: int, trials: int, seed: int) -> pd.DataFrame:
    """Long table: per (operator, n, trial), mean and max |dy| and the same times n."""
    rows = []
    for name in operator_names:
        g = torch.Generator().manual_seed(seed)
        for n in ns:
            for trial in range(trials):
                out = flip_sensitivity(name, n, d, g)
                rows.append(
                    {
                        "operator": name,
                        "n": n,
                        "trial": trial,
                        **out,
                        "n_mean_delta": n * out["mean_delta"],
                        "n_max_delta": n * out["max_delta"],
                    }
                )
    return pd.DataFrame(rows)
