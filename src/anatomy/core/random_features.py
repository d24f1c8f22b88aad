"""Random features for the softmax kernel ``exp(x . y)`` (Performer, FAVOR+).

Three unbiased estimators of ``SM(x, y) = exp(x . y)`` from ``m`` random directions ``w``:

- ``positive``: ``exp(w.x - |x|^2/2) exp(w.y - |y|^2/2)``, always > 0 (FAVOR+);
- ``trig``: ``exp((|x|^2 + |y|^2)/2) cos(w.(x - y))``, through ``[sin, cos]`` features;
- ``hyperbolic``: ``exp(-(|x|^2 + |y|^2)/2) cosh(w.(x + y))``, through ``[exp, exp(-)]``.

The trig and hyperbolic maps have ``2m`` dimensions; ``m`` always counts directions. Draws
are ``iid`` Gaussian or ``orthogonal`` (blocks of ``d`` orthogonal rows, each rescaled to a
chi(d) norm so that every row is still marginally Gaussian). Attention scales ``q`` and ``k``
by ``d^(-1/4)`` so that ``exp(q'.k') = exp(q.k / sqrt d)``.

Redraw policy: a projection is drawn from a seed and kept fixed within a sequence (and, in a
trained model, for good; see :class:`anatomy.core.operators.PositiveRandomFeatures`).

Numerical stability: features are computed as log-features ``l = w.x - |x|^2/2``. A constant
per query row, or one per key shared by every query that sees that key, cancels in the
attention ratio. The causal form (:func:`causal_linear_attention`) uses only statistics of the
keys a position may see, so the future can never change the past (prefix invariance).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

FEATURES = ("positive", "trig", "hyperbolic")
DRAWS = ("iid", "orthogonal")


def draw_projection(
    m: int, d: int, draw: str, generator: torch.Generator, dtype=torch.float64
) -> Tensor:
    """``m`` random directions in ``R^d``, shape ``(m, d)``."""
    if draw == "iid":
        return torch.randn(m, d, generator=generator, dtype=dtype)
    if draw != "orthogonal":
        raise ValueError(f"unknown draw {draw!r} (allowed: {', '.join(DRAWS)})")
    blocks = []
    for _ in range(math.ceil(m / d)):
        q, r = torch.linalg.qr(torch.randn(d, d, generator=generator, dtype=dtype))
        q = q * torch.sign(torch.diagonal(r))  # Haar-distributed rows
        norms = torch.randn(d, d, generator=generator, dtype=dtype).norm(dim=1, keepdim=True)
        blocks.append(q * norms)
    return torch.cat(blocks)[:m]


def draw_projections(
    draws: int, m: int, d: int, draw: str, generator: torch.Generator, dtype=torch.float64
) -> Tensor:
    """``draws`` independent projections, shape ``(draws, m, d)``."""
    return torch.stack([draw_projection(m, d, draw, generator, dtype) for _ in range(draws)])


def log_features(x: Tensor, w: Tensor) -> Tensor:
    """Positive features in log space: ``w.x - |x|^2/2 - log(m)/2``, shape ``(..., n, m)``.

    ``x`` is ``(..., n, d)`` (already scaled), ``w`` is ``(m, d)`` or batched ``(..., m, d)``."""
    proj = x @ w.transpose(-2, -1)
    return proj - (x * x).sum(-1, keepdim=True) / 2 - math.log(w.shape[-2]) / 2


def feature_map(x: Tensor, w: Tensor, kind: str) -> Tensor:
    """``phi(x)`` with ``E[phi(x) . phi(y)] = exp(x . y)``; ``(..., n, m)`` or ``(..., n, 2m)``."""
    m = w.shape[-2]
    proj = x @ w.transpose(-2, -1)  # (..., n, m)
    sq = (x * x).sum(-1, keepdim=True) / 2
    if kind == "positive":
        return torch.exp(proj - sq) / math.sqrt(m)
    if kind == "trig":
        return torch.exp(sq) * torch.cat([torch.sin(proj), torch.cos(proj)], -1) / math.sqrt(m)
    if kind == "hyperbolic":
        both = torch.cat([torch.exp(proj - sq), torch.exp(-proj - sq)], -1)
        return both / math.sqrt(2 * m)
    raise ValueError(f"unknown feature map {kind!r} (allowed: {', '.join(FEATURES)})")


def kernel_estimate(x: Tensor, y: Tensor, w: Tensor, kind: str) -> Tensor:
    """Estimate of ``exp(x . y)`` for matched rows of ``x`` and ``y`` (``(..., n, d)``)."""
    return (feature_map(x, w, kind) * feature_map(y, w, kind)).sum(-1)


def closed_form_mse(x: Tensor, y: Tensor, m: int, kind: str) -> Tensor:
    """Mean squared error of the iid estimator with ``m`` directions (Performer, Lemma 2;
    the hyperbolic case follows the same way from ``Var cosh(w.z)``)."""
    sm = torch.exp((x * y).sum(-1))
    plus = ((x + y) ** 2).sum(-1)
    minus = ((x - y) ** 2).sum(-1)
    if kind == "positive":
        return torch.exp(plus) * sm**2 * -torch.expm1(-plus) / m
    if kind == "trig":
        return torch.exp(plus) * sm**-2 * torch.expm1(-minus) ** 2 / (2 * m)
    if kind == "hyperbolic":
        return torch.exp(plus) * sm**2 * torch.expm1(-plus) ** 2 / (2 * m)
    raise ValueError(f"unknown feature map {kind!r} (allowed: {', '.join(FEATURES)})")


def scaled(x: Tensor) -> Tensor:
    """``x d^(-1/4)``: then ``exp(q' . k') = exp(q . k / sqrt d)``."""
    return x * x.shape[-1] ** -0.25


def approximate_weights(q: Tensor, k: Tensor, w: Tensor, kind: str = "positive") -> Tensor:
    """The attention matrix that the features imply, ``phi(q) phi(k)^T`` with its rows
    normalized; ``(..., n_q, n_k)``. Trig rows can have sums near zero or negative."""
    fq, fk = feature_map(scaled(q), w, kind), feature_map(scaled(k), w, kind)
    scores = fq @ fk.transpose(-2, -1)
    return scores / scores.sum(-1, keepdim=True)


def favor_attention(q: Tensor, k: Tensor, v: Tensor, w: Tensor) -> Tensor:
    """Non-causal FAVOR+ in linear time: ``phi(q) (phi(k)^T v) / phi(q) (phi(k)^T 1)``.

    Stabilizers: the max log-feature of each query row, and one max over all keys; both
    cancel in the ratio."""
    lq, lk = log_features(scaled(q), w), log_features(scaled(k), w)
    fq = torch.exp(lq - lq.amax(-1, keepdim=True))
    fk = torch.exp(lk - lk.amax((-2, -1), keepdim=True))
    kv = fk.transpose(-2, -1) @ v  # (..., m, d_v)
    num = fq @ kv
    den = fq @ fk.sum(-2).unsqueeze(-1)  # (..., n, 1)
    return num / den


def linear_attention(fq: Tensor, fk: Tensor, v: Tensor) -> Tensor:
    """Non-causal linear attention from nonnegative features, in linear time."""
    num = fq @ (fk.transpose(-2, -1) @ v)
    den = fq @ fk.sum(-2).unsqueeze(-1)
    return num / den.clamp_min(torch.finfo(v.dtype).tiny)


def parallel_causal(fq: Tensor, fk: Tensor, v: Tensor) -> Tensor:
    """Causal linear attention, quadratic form: ``tril(phi(Q) phi(K)^T)`` rows normalized."""
    a = (fq @ fk.transpose(-2, -1)).tril()
    return (a @ v) / a.sum(-1, keepdim=True)


def recurrent_causal(fq: Tensor, fk: Tensor, v: Tensor) -> Tensor:
    """Causal linear attention as an RNN (Katharopoulos et al. 2020):
    ``S_i = S_{i-1} + phi(k_i) v_i^T``, ``z_i = z_{i-1} + phi(k_i)``,
    ``y_i = phi(q_i)^T S_i / phi(q_i)^T z_i``; one token at a time, a state of fixed size."""
    state = fk.new_zeros(*fk.shape[:-2], fk.shape[-1], v.shape[-1])  # (..., m, d_v)
    norm = fk.new_zeros(*fk.shape[:-2], fk.shape[-1])  # (..., m)
    out = []
    for i in range(v.shape[-2]):
        state = state + fk[..., i, :, None] * v[..., i, None, :]
        norm = norm + fk[..., i, :]
        num = (fq[..., i, :, None] * state).sum(-2)
        out.append(num / (fq[..., i, :] * norm).sum(-1, keepdim=True))
    return torch.stack(out, -2)


def causal_linear_attention(lq: Tensor, lk: Tensor, v: Tensor, chunk: int = 64) -> Tensor:
    """Causal linear attention from log-features, chunk by chunk, stable and prefix-invariant.

    ``lq``, ``lk``: ``(..., n, m)`` log-features (``log phi``); ``v``: ``(..., n, d_v)``.
    Within a chunk the quadratic masked form, across chunks a carried state ``(S, z)``.
    Every key ``j`` is stored as ``exp(lk_j - b_j)`` with ``b_j = max lk_j``; position ``i``
    rescales by ``exp(b_j - c_i)``, where ``c_i`` is the running max of ``b`` up to ``i``, so
    every factor is at most one and nothing at ``j > i`` enters ``y_i``.
    """
    n = v.shape[-2]
    fq = torch.exp(lq - lq.amax(-1, keepdim=True))  # a per-row constant: cancels
    b = lk.amax(-1)  # (..., n)
    b = torch.where(torch.isfinite(b), b, torch.zeros_like(b))  # all-zero features (relu)
    fk = torch.exp(lk - b.unsqueeze(-1))  # (..., n, m), entries <= 1
    running = torch.cummax(b, dim=-1).values  # c_i
    state = fk.new_zeros(*fk.shape[:-2], fk.shape[-1], v.shape[-1])
    norm = fk.new_zeros(*fk.shape[:-2], fk.shape[-1])
    offset = torch.full_like(b[..., 0], -math.inf)  # the state's scale: exp(-offset)
    out = []
    for start in range(0, n, chunk):
        sl = slice(start, min(start + chunk, n))
        q_c, k_c, v_c, b_c, c_c = (
            fq[..., sl, :],
            fk[..., sl, :],
            v[..., sl, :],
            b[..., sl],
            running[..., sl],
        )
        size = v_c.shape[-2]
        causal = torch.ones(size, size, dtype=torch.bool, device=v.device).tril()
        log_scale = (b_c.unsqueeze(-2) - c_c.unsqueeze(-1)).masked_fill(~causal, -math.inf)
        a = (q_c @ k_c.transpose(-2, -1)) * torch.exp(log_scale)  # (..., c, c)
        carried = torch.exp(offset.unsqueeze(-1) - c_c).unsqueeze(-1)  # (..., c, 1), <= 1
        num = a @ v_c + carried * (q_c @ state)
        den = a.sum(-1, keepdim=True) + carried * (q_c @ norm.unsqueeze(-1))
        out.append(num / den)
        # Carry the chunk into the state, at the new offset (the last running max).
        new = c_c[..., -1]
        keep = torch.exp(offset - new)
        weight = k_c * torch.exp(b_c - new.unsqueeze(-1)).unsqueeze(-1)  # (..., c, m)
        state = keep[..., None, None] * state + weight.transpose(-2, -1) @ v_c
        norm = keep.unsqueeze(-1) * norm + weight.sum(-2)
        offset = new
    return torch.cat(out, -2)


def elu_log_features(x: Tensor) -> Tensor:
    """``log(elu(x) + 1)``: ``x`` below zero, ``log(1 + x)`` above (finite everywhere)."""
    return torch.where(x < 0, x, torch.log1p(x.clamp_min(0)))
