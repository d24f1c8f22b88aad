"""Attention read as message passing, and as a convolution.

- Softmax attention is message passing on the complete graph: each query node receives
  ``softmax_j(q_i . k_j / sqrt d) v_j`` over its in-edges; a mask is a sparser graph. The
  weight matrix is a *dynamic* adjacency matrix: it is recomputed from the content.
- GAT's score ``LeakyReLU(a_dst . W x_i + a_src . W x_j)`` is monotone in a term that depends
  on the key alone, so every query ranks the keys the same way ("static" attention).
- Self-attention with ``K^2`` heads and the quadratic relative encoding
  ``v = -alpha (1, -2 D1, -2 D2)``, ``r = (|d|^2, d1, d2)`` becomes a ``K x K`` convolution as
  ``alpha`` grows (Cordonnier et al. 2020); the leak onto the four nearest neighbours makes
  the relative error about ``4 exp(-alpha)``.

Edges are ``(2, E)`` tensors of ``(source, target)`` node indices, as torch_geometric uses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor

from anatomy.core import operators
from anatomy.core import random_features as rf


def edges_from_mask(mask: Tensor) -> Tensor:
    """``mask[i, j]`` (query ``i`` may read key ``j``) -> edges ``j -> i``, shape ``(2, E)``."""
    target, source = mask.nonzero(as_tuple=True)
    return torch.stack([source, target])


def complete_graph(n: int) -> Tensor:
    """Every node reads every node, itself included."""
    return edges_from_mask(torch.ones(n, n, dtype=torch.bool))


def edge_softmax(scores: Tensor, target: Tensor, n: int) -> Tensor:
    """Softmax of edge scores over each target node's in-edges."""
    peak = torch.full((n,), -math.inf, dtype=scores.dtype).scatter_reduce(0, target, scores, "amax")
    e = torch.exp(scores - peak[target])
    total = torch.zeros(n, dtype=scores.dtype).index_add(0, target, e)
    return e / total[target]


def message_passing_attention(q: Tensor, k: Tensor, v: Tensor, edges: Tensor) -> Tensor:
    """Scaled dot-product attention as message passing: score each edge, normalize over each
    node's in-edges, sum the weighted value messages. ``q, k: (n, d)``, ``v: (n, d_v)``."""
    source, target = edges
    scores = (q[target] * k[source]).sum(-1) / math.sqrt(q.shape[-1])  # (E,)
    alpha = edge_softmax(scores, target, q.shape[0])
    messages = alpha.unsqueeze(-1) * v[source]  # (E, d_v)
    return torch.zeros(q.shape[0], v.shape[-1], dtype=v.dtype).index_add(0, target, messages)


def dense_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """The matrix form: ``softmax(q k^T / sqrt d) v``, masked entries excluded."""
    scores = q @ k.T / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, -math.inf)
    return torch.softmax(scores, -1) @ v


def adjacency(weights: Tensor, edges: Tensor, n: int) -> Tensor:
    """Edge weights (source ``j`` -> target ``i``) as an ``(n, n)`` matrix ``A[i, j]``."""
    a = torch.zeros(n, n, dtype=weights.dtype)
    a[edges[1], edges[0]] = weights
    return a


def transformer_conv(wq: Tensor, wk: Tensor, wv: Tensor):
    """torch_geometric's ``TransformerConv`` (one head, no bias, no skip) holding the given
    projections (``(d_out, d_in)``, as ``nn.Linear`` stores them)."""
    from torch_geometric.nn import TransformerConv

    conv = TransformerConv(wq.shape[1], wq.shape[0], heads=1, bias=False, root_weight=False)
    conv = conv.to(wq.dtype)
    with torch.no_grad():
        for lin, w in ((conv.lin_query, wq), (conv.lin_key, wk), (conv.lin_value, wv)):
            lin.weight.copy_(w)
    return conv


def gat_weights(x: Tensor, edges: Tensor, seed: int) -> Tensor:
    """A randomly initialized ``GATConv``'s attention on ``edges``, as an ``(n, n)`` matrix."""
    from torch_geometric.nn import GATConv

    torch.manual_seed(seed)
    conv = GATConv(x.shape[1], x.shape[1], heads=1, add_self_loops=False).to(x.dtype)
    # Random attention vectors of unit scale, so the scores are far from flat.
    with torch.no_grad():
        conv.att_src.normal_()
        conv.att_dst.normal_()
    _, (index, alpha) = conv(x, edges, return_attention_weights=True)
    return adjacency(alpha.squeeze(-1).detach(), index, x.shape[0])


def same_key_ranking(weights: Tensor) -> float:
    """Fraction of query pairs that rank the keys in the same order (1: static attention)."""
    order = weights.argsort(-1)  # (n_q, n_k)
    same = (order.unsqueeze(0) == order.unsqueeze(1)).all(-1)  # (n_q, n_q)
    n = weights.shape[0]
    return float((same.sum() - n) / (n * (n - 1)))


# -------------------------------------------------------------------- attention = convolution


def relative_offsets(size: int, kernel: int) -> tuple[Tensor, Tensor]:
    """Token positions of a ``size x size`` image zero-padded by ``kernel // 2``, and the
    ``kernel^2`` head shifts ``Delta``: ``(tokens, 2)``, ``(kernel^2, 2)``."""
    pad = kernel // 2
    side = torch.arange(-pad, size + pad)
    positions = torch.cartesian_prod(side, side)
    shifts = torch.cartesian_prod(torch.arange(-pad, pad + 1), torch.arange(-pad, pad + 1))
    return positions, shifts


def conv_as_attention(x: Tensor, weight: Tensor, alpha: float) -> Tensor:
    """``K^2``-head self-attention with the quadratic relative encoding, computing what
    ``conv2d(x, weight, padding=K//2)`` computes; ``x: (C_in, H, W)`` (H = W),
    ``weight: (C_out, C_in, K, K)``. Head ``h`` scores key at offset ``d`` from its query by
    ``-alpha (|d|^2 - 2 Delta_h . d)``; its value projection is ``weight[:, :, Delta_h]``."""
    c_in, size, _ = x.shape
    kernel = weight.shape[-1]
    pad = kernel // 2
    positions, shifts = relative_offsets(size, kernel)
    tokens = F.pad(x, (pad, pad, pad, pad)).flatten(1).T  # (T, C_in): the border is zeros
    inside = ((positions >= 0) & (positions < size)).all(-1)
    queries = positions[inside]  # (H*W, 2), row-major like the image
    d = (positions.unsqueeze(0) - queries.unsqueeze(1)).to(x.dtype)  # (Q, T, 2)
    r = torch.cat([(d * d).sum(-1, keepdim=True), d], -1)  # (Q, T, 3)
    out = torch.zeros(weight.shape[0], queries.shape[0], dtype=x.dtype)
    for shift in shifts:
        v = -alpha * torch.cat([torch.ones(1), -2 * shift]).to(x.dtype)  # (3,)
        probs = torch.softmax(r @ v, -1)  # (Q, T)
        w_h = weight[:, :, shift[0] + pad, shift[1] + pad]  # (C_out, C_in)
        out += w_h @ (probs @ tokens).T
    return out.reshape(weight.shape[0], size, size)


def conv_relative_error(x: Tensor, weight: Tensor, alpha: float) -> float:
    """``|attention - conv| / |conv|`` (Frobenius norms)."""
    pad = weight.shape[-1] // 2
    conv = F.conv2d(x.unsqueeze(0), weight, padding=pad).squeeze(0)
    return float((conv_as_attention(x, weight, alpha) - conv).norm() / conv.norm())


def conv_sweep(size: int, kernel: int, channels: int, alphas: Sequence[float], seed: int):
    """Relative error of the attention form of a random ``K x K`` convolution against
    ``alpha``, with the nearest-neighbour leak ``4 exp(-alpha)`` beside it (float64)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(channels, size, size, generator=g, dtype=torch.float64)
    w = torch.randn(channels, channels, kernel, kernel, generator=g, dtype=torch.float64)
    rows = [
        {"alpha": a, "relative_error": conv_relative_error(x, w, a), "leak": 4 * math.exp(-a)}
        for a in alphas
    ]
    return pd.DataFrame(rows)


def equivalence_checks(n: int, d: int, chunk: int, seed: int) -> list[dict]:
    """Each equivalence as a measured maximum difference (float64) next to its tolerance."""
    g = torch.Generator().manual_seed(seed)
    q, k, v, x = (torch.randn(n, d, generator=g, dtype=torch.float64) for _ in range(4))
    rows = []

    def check(name, value, tolerance):
        rows.append(
            {
                "check": name,
                "value": float(value),
                "tolerance": tolerance,
                "holds": bool(value <= tolerance),
            }
        )

    # Transformers are RNNs: one causal linear attention (the registry's), three forms.
    linear = operators.get("linear_elu")
    parallel = linear.causal(q, k, v, "dense")
    check(
        "causal elu+1: parallel = recurrent",
        (parallel - linear.causal(q, k, v, "recurrent")).abs().max(),
        1e-12,
    )
    chunked = linear.causal(q, k, v, "chunked", chunk)
    check("causal elu+1: parallel = chunked", (parallel - chunked).abs().max(), 1e-12)
    w = rf.draw_projection(4 * d, d, "orthogonal", g)
    lq, lk = rf.log_features(rf.scaled(q), w), rf.log_features(rf.scaled(k), w)
    favor = rf.causal_linear_attention(lq, lk, v, chunk)
    check(
        "causal FAVOR+: parallel = chunked",
        (rf.parallel_causal(lq.exp(), lk.exp(), v) - favor).abs().max(),
        1e-12,
    )
    # Prefix invariance: a future of huge keys and values leaves the past unchanged.
    future = n // 2
    k2, v2 = k.clone(), v.clone()
    k2[future:] *= 30
    v2[future:] = 1e6
    again = rf.causal_linear_attention(lq, rf.log_features(rf.scaled(k2), w), v2, chunk)
    check(
        "causal FAVOR+: prefix unchanged by the future",
        (again[:future] - favor[:future]).abs().max(),
        0.0,
    )
    # Transformers are GNNs: the complete graph, a sparse graph, torch_geometric.
    dense = dense_attention(q, k, v)
    check(
        "softmax = message passing, complete graph",
        (message_passing_attention(q, k, v, complete_graph(n)) - dense).abs().max(),
        1e-12,
    )
    mask = (torch.rand(n, n, generator=g) < 0.3) | torch.eye(n, dtype=torch.bool)
    check(
        "masked softmax = message passing, sparse graph",
        (message_passing_attention(q, k, v, edges_from_mask(mask)) - dense_attention(q, k, v, mask))
        .abs()
        .max(),
        1e-12,
    )
    wq, wk, wv = (
        torch.randn(d, d, generator=g, dtype=torch.float64) / math.sqrt(d) for _ in range(3)
    )
    with torch.no_grad():
        conv = transformer_conv(wq, wk, wv)(x, complete_graph(n))
    check(
        "softmax = torch_geometric TransformerConv",
        (conv - dense_attention(x @ wq.T, x @ wk.T, x @ wv.T)).abs().max(),
        1e-12,
    )
    return rows


def static_rankings(n: int, d: int, seed: int) -> list[dict]:
    """How often two queries rank the keys alike: GAT (static) against dot-product attention
    (dynamic), on the same random node features."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    wq, wk = (torch.randn(d, d, generator=g, dtype=torch.float64) / math.sqrt(d) for _ in range(2))
    with torch.no_grad():
        gat = gat_weights(x, complete_graph(n), seed)
    dot = torch.softmax((x @ wq.T) @ (x @ wk.T).T / math.sqrt(d), -1)
    return [
        {"attention": "GATConv", "same_key_ranking": same_key_ranking(gat)},
        {"attention": "dot product", "same_key_ranking": same_key_ranking(dot)},
    ]
