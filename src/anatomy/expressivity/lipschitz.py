"""The Lipschitz contrast (Kim, Papamakarios & Mnih 2021).

Dot-product self-attention is not Lipschitz: the spectral norm of its Jacobian grows with the
scale of the input (roughly like its square). L2 self-attention with tied ``W_Q = W_K`` is
Lipschitz: its Jacobian norm stays bounded as the input grows.
"""

from __future__ import annotations

import math

import pandas as pd
import torch

from anatomy.core import operators

DTYPE = torch.float64


def jacobian_norm(operator_name: str, x, w_q, w_k, w_v) -> float:
    """Spectral norm of d f(X) / d X for ``f(X) = A(X W_q, X W_k) X W_v``; ``x (n, d)``."""
    op = operators.get(operator_name)
    w_k = op.key_projection(w_q, lambda: w_k)

    def f(flat):
        h = flat.reshape(x.shape)
        return op(h @ w_q, h @ w_k, h @ w_v).reshape(-1)

    jac = torch.autograd.functional.jacobian(f, x.reshape(-1))  # (n d, n d)
    return float(torch.linalg.matrix_norm(jac, ord=2))


INPUTS = ("random", "one_token")


def make_input(kind: str, n: int, d: int, generator) -> torch.Tensor:
    """``random``: i.i.d. N(0, 1) tokens. ``one_token``: one N(0, 1) token, the rest zero. The
    zero tokens' queries vanish, so their attention stays uniform at every scale while the
    score gradient grows with it: Kim et al.'s argument that dot-product attention is not
    Lipschitz lives on such inputs."""
    x = torch.randn(n, d, generator=generator, dtype=DTYPE)
    if kind == "one_token":
        x[1:] = 0
    return x


def scale_sweep(
    operator_names, scales, n: int, d: int, trials: int, seed: int, inputs=INPUTS
) -> pd.DataFrame:
    """Long table: Jacobian norm per (operator, input kind, scale, trial); input ``scale * X``."""
    rows = []
    for name in operator_names:
        for kind in inputs:
            g = torch.Generator().manual_seed(seed)  # same inputs and weights for every operator
            for trial in range(trials):
                x = make_input(kind, n, d, g)
                w_q, w_k, w_v = (
                    torch.randn(d, d, generator=g, dtype=DTYPE) / math.sqrt(d) for _ in range(3)
                )
                for scale in scales:
                    rows.append(
                        {
                            "operator": name,
                            "input": kind,
                            "scale": scale,
                            "trial": trial,
                            "jacobian_norm": jacobian_norm(name, scale * x, w_q, w_k, w_v),
                        }
                    )
    return pd.DataFrame(rows)
