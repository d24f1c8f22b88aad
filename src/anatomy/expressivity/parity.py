"""An exact PARITY transformer in the style of Chiang & Cholak (2022), built from the registry.

Two layers of *uniform* softmax attention (zero queries and keys) and one ReLU feed-forward
layer decide PARITY for every length n, but the decision margin shrinks like 1/n^2, so the
cross-entropy tends to one bit: correct, and ever less confident. Feeding ``[y, -y]`` through
a layer norm with ``eps = 0`` (their fix) maps any nonzero ``y`` to ``+-1`` and restores
confidence.

Token ``i = 0`` is a BOS token; bits sit at ``i = 1..n``; ``N = n + 1``. Positions are encoded as
``(i/N, cos(i pi))``.

- Layer 1 attention (uniform) reads ``k/N`` (k = number of ones) and ``1/N`` at every token.
- Its feed-forward layer, six ReLUs, computes ``z_i = (-1)^i [i = k] / N`` with a triangle
  function of ``t = i/N - k/N`` of half-width ``1/N``, signed by ``cos(i pi)``.
- Layer 2 attention (uniform) averages ``z``: ``y = (-1)^k / N^2`` at every token.

The logit for "odd" is ``-y`` (times a fixed output scale).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from anatomy.core import operators

DTYPE = torch.float64


def _uniform_attention(values: Tensor) -> Tensor:
    """Softmax attention with zero queries and keys: every token averages all values."""
    zeros = torch.zeros(*values.shape[:-1], 1, dtype=values.dtype)
    return operators.get("softmax")(zeros, zeros, values)


def _triangle(t: Tensor, width: Tensor, offset: Tensor) -> Tensor:
    """``relu(t+w+o) - 2 relu(t+o) + relu(t-w+o)``: a bump of height ``w`` at ``t = -o``."""
    return (
        torch.relu(t + width + offset) - 2 * torch.relu(t + offset) + torch.relu(t - width + offset)
    )


def parity_output(bits: Tensor) -> Tensor:
    """The construction's output ``y`` at the BOS token, shape ``(batch,)``; ``bits (batch, n)``."""
    batch, n = bits.shape
    N = n + 1
    i = torch.arange(N, dtype=DTYPE)
    w = torch.cat([torch.zeros(batch, 1, dtype=DTYPE), bits.to(DTYPE)], dim=1)  # (B, N)
    bos = (i == 0).to(DTYPE).expand(batch, N)
    pos = (i / N).expand(batch, N)
    cos = torch.cos(math.pi * i).expand(batch, N)

    # Layer 1: uniform attention over [w, bos] gives k/N and 1/N at every token.
    mixed = _uniform_attention(torch.stack([w, bos], dim=-1))  # (B, N, 2)
    k_over_n, one_over_n = mixed[..., 0], mixed[..., 1]

    # Feed-forward (six ReLUs): z = +bump where cos = 1, -bump where cos = -1.
    t = pos - k_over_n
    z = _triangle(t, one_over_n, cos - 1) - _triangle(t, one_over_n, -cos - 1)  # (B, N)

    # Layer 2: uniform attention averages z; read at BOS.
    return _uniform_attention(z.unsqueeze(-1))[:, 0, 0]


def parity_logits(bits: Tensor, layer_norm: bool = False, scale: float = 1.0) -> Tensor:
    """Logit of "odd parity", shape ``(batch,)``.

    With ``layer_norm``, ``[y, -y]`` goes through a layer norm with ``eps = 0`` first, which
    turns any nonzero ``y`` into ``+-1``.
    """
    y = parity_output(bits)
    if layer_norm:
        pair = torch.stack([y, -y], dim=-1)
        y = torch.nn.functional.layer_norm(pair, (2,), eps=0.0)[..., 0]
    return -scale * y


def evaluate(n: int, samples: int, seed: int, layer_norm: bool = False, scale: float = 1.0) -> dict:
    """Accuracy, mean |logit| (the margin) and cross-entropy in bits on random bit strings."""
    g = torch.Generator().manual_seed(seed)
    bits = torch.randint(0, 2, (samples, n), generator=g)
    target = (bits.sum(-1) % 2).to(DTYPE)
    logits = parity_logits(bits, layer_norm=layer_norm, scale=scale)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target) / math.log(2)
    return {
        "accuracy": float(((logits > 0).to(DTYPE) == target).to(DTYPE).mean()),
        "margin": float(logits.abs().min()),
        "cross_entropy_bits": float(ce),
    }
