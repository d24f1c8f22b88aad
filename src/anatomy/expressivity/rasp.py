"""A RASP program compiled to one attention layer, run with every operator of the registry.

RASP (Weiss et al. 2021) writes a transformer as select-aggregate programs: ``select`` is a
boolean attention pattern, and ``aggregate`` averages the values over the selected keys,
uniformly and exactly, which is hard attention. The program here reverses a sequence:

    flip = select(indices, length - indices - 1, ==)
    reverse = aggregate(flip, tokens)

We compile ``flip`` into queries and keys over one-hot positions (width ``n``) whose scaled
dot product is ``beta`` on the selected pair and 0 elsewhere, feed the tokens as one-hot
values, and swap the normalizer (and with it the kernel) for each registered operator: the
program's answer at a position is the token with the most weight. With hard attention the
program is exact at every ``n``. Softmax gives the selected key ``e^beta / (e^beta + n - 1)``
and every other key ``1 / (e^beta + n - 1)``, so a wrong token wins once it occurs ``e^beta``
times more often than the right one among the other keys. Those counts differ by about
``sqrt(2 n / vocab)``, so softmax breaks near ``n = vocab e^(2 beta) / 2``
(:func:`softmax_breaking_length`): compiling RASP into softmax needs a ``beta`` that grows like
``log n``.
"""

from __future__ import annotations

import math

import pandas as pd
import torch
from torch import Tensor

from anatomy.core import operators

DTYPE = torch.float64


def compiled_flip(n: int, beta: float) -> tuple[Tensor, Tensor]:
    """Queries and keys ``(n, n)`` with ``q_i . k_j / sqrt(n) = beta [j = n - 1 - i]``."""
    eye = torch.eye(n, dtype=DTYPE)
    return beta * math.sqrt(n) * eye.flip(0), eye


def reverse_weights(operator_name: str, n: int, beta: float) -> Tensor:
    """The compiled ``flip`` selector's weights ``(n, n)`` under one operator. The weights do
    not depend on the tokens, so one matrix serves every sequence of length ``n``."""
    q, k = compiled_flip(n, beta)
    with torch.no_grad():
        return operators.get(operator_name).weights(q, k)


def run_reverse(weights: Tensor, tokens: Tensor, vocab: int) -> dict[str, float]:
    """``aggregate(flip, tokens)`` for ``tokens (B, n)``: accuracy of the heaviest token against
    the reversed sequence, and the mean weight on the selected key. Ties and non-finite
    outputs count as wrong."""
    n = tokens.shape[-1]
    values = torch.nn.functional.one_hot(tokens, vocab).to(DTYPE)  # (B, n, V)
    out = weights @ values  # (B, n, V)
    target = tokens.flip(-1)
    best = out.max(-1)
    unique = (out == best.values.unsqueeze(-1)).sum(-1) == 1
    correct = (best.indices == target) & unique & torch.isfinite(out).all(-1)
    selected = weights[torch.arange(n), torch.arange(n - 1, -1, -1)]
    return {
        "accuracy": float(correct.to(DTYPE).mean()),
        "selected_weight": float(torch.nan_to_num(selected, nan=0.0).mean()),
    }


def length_sweep(
    operator_names, ns, beta: float, vocab: int, samples: int, seed: int
) -> pd.DataFrame:
    """One row per (operator, n): the compiled program's accuracy and selected weight on
    ``samples`` random sequences (the same sequences for every operator)."""
    rows = []
    for n in ns:
        tokens = torch.randint(
            0, vocab, (samples, n), generator=torch.Generator().manual_seed(seed + n)
        )
        for name in operator_names:
            out = run_reverse(reverse_weights(name, n, beta), tokens, vocab)
            rows.append({"operator": name, "n": int(n), "beta": beta, "vocab": vocab, **out})
    return pd.DataFrame(rows)


def softmax_breaking_length(beta: float, vocab: int) -> float:
    """The length scale at which softmax stops running the compiled program: a wrong token
    beats the right one when its count among the other ``n - 1`` keys exceeds the right
    token's by ``e^beta``, and two such counts differ by about ``sqrt(2 n / vocab)`` (each is
    binomial with mean ``n / vocab``), so errors become common near ``n = vocab e^(2 beta) / 2``.
    A scale, not a threshold: well below it the program is right, well above it mostly wrong."""
    return vocab * math.exp(2 * beta) / 2
