"""Attention as kernel + normalizer + propagation.

An attention operator is read here as three separable choices:

- a *kernel* scores every (query, key) pair: ``scores = kernel(q, k)``, shape ``(..., n_q, n_k)``;
- a *normalizer* turns each row of scores into weights over the keys (softmax is one choice
  among several: sparse, sigmoid, hard);
- *propagation* aggregates the values with those weights: ``out = weights @ v``, the dense
  form; a causal operator with a feature kernel has two more forms of the same sum
  (:meth:`AttentionOperator.causal`): a recurrence with a state of fixed size (Transformers
  are RNNs) and a chunked scan.

One registry (:data:`OPERATORS`) names every operator. Experiments enumerate the registry, so
a new operator is one class (a kernel or normalizer) and one :func:`register` line, and it then
appears in every experiment that iterates over :func:`names`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import entmax
import torch
from torch import Tensor

from anatomy.core import random_features

# --------------------------------------------------------------------------------------------
# Kernels: q (..., n_q, d), k (..., n_k, d) -> scores (..., n_q, n_k)
# --------------------------------------------------------------------------------------------


class Kernel:
    """Scores query/key pairs. Subclasses implement :meth:`scores`.

    ``tied_qk``: the kernel's guarantees need ``W_K = W_Q`` (a model must tie them).
    ``nonnegative``: scores are >= 0 (feature-map kernels), as the row-sum normalizer needs.
    """

    name: str = "kernel"
    tied_qk: bool = False
    nonnegative: bool = False

    def scores(self, q: Tensor, k: Tensor) -> Tensor:
        raise NotImplementedError


class ScaledDotProduct(Kernel):
    """``q . k / sqrt(d)``, the kernel of Vaswani et al. (2017)."""

    name = "dot"

    def scores(self, q: Tensor, k: Tensor) -> Tensor:
        return q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., n_q, n_k)


class TiedL2(Kernel):
    """``-|q - k|^2 / sqrt(d)`` with ``W_K = W_Q``: Lipschitz attention (Kim et al. 2021)."""

    name = "l2"
    tied_qk = True

    def scores(self, q: Tensor, k: Tensor) -> Tensor:
        sq = (
            (q * q).sum(-1, keepdim=True)
            + (k * k).sum(-1).unsqueeze(-2)
            - 2 * q @ k.transpose(-2, -1)
        )
        return -sq / math.sqrt(q.shape[-1])  # (..., n_q, n_k)


class FeatureKernel(Kernel):
    """``phi(q) . phi(k)`` for a nonnegative feature map ``phi`` (linear attention)."""

    nonnegative = True

    def features(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def log_features(self, x: Tensor) -> Tensor:
        """``log phi(x)`` (``-inf`` where a feature is zero), what the chunked causal form
        rescales in; a kernel with a closed form in log space overrides it."""
        return torch.log(self.features(x))

    def scores(self, q: Tensor, k: Tensor) -> Tensor:
        return self.features(q) @ self.features(k).transpose(-2, -1)  # (..., n_q, n_k)


class EluPlusOne(FeatureKernel):
    """``phi(x) = elu(x) + 1`` (Katharopoulos et al. 2020)."""

    name = "elu+1"

    def features(self, x: Tensor) -> Tensor:
        return torch.nn.functional.elu(x) + 1

    def log_features(self, x: Tensor) -> Tensor:
        return random_features.elu_log_features(x)  # finite where elu(x) + 1 underflows


class ReluFeatures(FeatureKernel):
    """``phi(x) = relu(x)``."""

    name = "relu-features"

    def features(self, x: Tensor) -> Tensor:
        return torch.relu(x)


class PositiveRandomFeatures(FeatureKernel):
    """FAVOR+ positive random features (Choromanski et al. 2021).

    ``phi(x) = m^{-1/2} exp(W x' - |x'|^2 / 2)`` with ``x' = x d^{-1/4}``, so that
    ``E[phi(q) . phi(k)] = exp(q . k / sqrt d)``. Redraw policy: the projection ``W`` is drawn
    once per width ``d`` from ``seed`` and then fixed (every sequence and step sees the same
    features), which keeps training and evaluation deterministic.
    """

    name = "favor+"

    def __init__(self, num_features: int = 64, seed: int = 0):
        self.num_features = num_features
        self.seed = seed
        self._projections: dict[int, Tensor] = {}

    def projection(self, d: int) -> Tensor:
        if d not in self._projections:
            g = torch.Generator().manual_seed(self.seed)
            self._projections[d] = random_features.draw_projection(self.num_features, d, "iid", g)
        return self._projections[d]

    def _projection_for(self, x: Tensor) -> Tensor:
        return self.projection(x.shape[-1]).to(dtype=x.dtype, device=x.device)  # (m, d)

    def features(self, x: Tensor) -> Tensor:
        w = self._projection_for(x)
        return random_features.feature_map(random_features.scaled(x), w, "positive")

    def log_features(self, x: Tensor) -> Tensor:
        return random_features.log_features(random_features.scaled(x), self._projection_for(x))


class Polynomial(FeatureKernel):
    """``(q . k / sqrt d)^2``: a degree-2 polynomial kernel, via ``phi(x) = x (x) x / sqrt d``."""

    name = "poly2"

    def features(self, x: Tensor) -> Tensor:
        outer = x.unsqueeze(-1) * x.unsqueeze(-2)  # (..., n, d, d)
        return outer.flatten(-2) / math.sqrt(x.shape[-1])

    def scores(self, q: Tensor, k: Tensor) -> Tensor:
        return (q @ k.transpose(-2, -1)) ** 2 / q.shape[-1]  # same value, without the d^2 features

    def log_features(self, x: Tensor) -> Tensor:
        raise ValueError("poly2's features take both signs: it has no log-space (chunked) form")


# --------------------------------------------------------------------------------------------
# Normalizers: scores (..., n_q, n_k), mask (..., n_q, n_k) bool (True = may attend) -> weights
# --------------------------------------------------------------------------------------------


def _key_count(scores: Tensor, mask: Tensor | None) -> Tensor:
    """Number of keys each query may attend to, shape ``(..., n_q, 1)``."""
    if mask is None:
        return torch.full_like(scores[..., :1], scores.shape[-1])
    return mask.sum(-1, keepdim=True).to(scores.dtype)


class Normalizer:
    """Turns each row of scores into weights. ``sums_to_one`` states the contract."""

    name: str = "normalizer"
    sums_to_one: bool = True
    shift_invariant: bool = True  # adding a constant to a row of scores changes nothing
    accepts_logits: bool = True  # False: needs nonnegative scores (a feature kernel's)
    sparse: bool = False  # exact zeros by design (a projection onto the simplex, or an argmax)
    content_free: bool = False  # the weights ignore the scores

    def __call__(self, scores: Tensor, mask: Tensor | None = None) -> Tensor:
        if mask is not None:
            # -inf keeps masked keys out of every normalizer below (entmax handles it too);
            # the final masked_fill makes the zero exact for the unnormalized ones.
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = self.normalize(scores, mask)
        if mask is not None:
            weights = weights.masked_fill(~mask, 0.0)
        return weights

    def normalize(self, scores: Tensor, mask: Tensor | None) -> Tensor:
        raise NotImplementedError


class Softmax(Normalizer):
    """``exp(s) / sum exp(s)``: every weight strictly positive, rows in the open simplex."""

    name = "softmax"

    def normalize(self, scores: Tensor, mask: Tensor | None) -> Tensor:
        return torch.softmax(scores, dim=-1)


# The entmax package finds the threshold among a row's TOP_K largest scores (a partial sort)
# and redoes a row with 2k when its support is larger, so the result is exactly the full sort's
# (bitwise: tests/test_operators.py) at a fraction of its cost on long rows (4.6x at n = 258).
TOP_K = 16


class Sparsemax(Normalizer):
    """Euclidean projection onto the simplex (Martins & Astudillo 2016): exact zeros."""

    name = "sparsemax"
    sparse = True

    def normalize(self, scores: Tensor, mask: Tensor | None) -> Tensor:
        return entmax.sparsemax(scores, dim=-1, k=TOP_K)


class Entmax15(Normalizer):
    """alpha-entmax with alpha = 1.5 (Peters et al. 2019): between softmax and sparsemax."""

    name = "entmax15"
    sparse = True

    def normalize(self, scores: Tensor, mask: Tensor | None) -> Tensor:
        return entmax.entmax15(scores, dim=-1, k=TOP_K)


class SigmoidLogN(Normalizer):
    """``sigmoid(s - log n)`` per pair (Ramapuram et al. 2025); rows need not sum to one."""

    name = "sigmoid"
    sums_to_one = False
    shift_invariant = False

    def normalize(self, scores: Tensor, mask: Tensor | None) -> Tensor:
        return torch.sigmoid(scores - torch.log(_key_count(scores, mask)))


class Hardmax(Normalizer):
    """One-hot on the largest score; softmax's gradient passes straight through.

    The forward value is exactly one-hot, so this is the ceiling of sharpness that hard
    programs (RASP's ``aggregate`` over a single selected key) assume.
    """

    name = "hardmax"
    sparse = True

    def normalize(self, scores: Tensor, mask: Tensor | None) -> Tensor:
        soft = torch.softmax(scores, dim=-1)
        hard = torch.zeros_like(soft).scatter_(-1, scores.argmax(-1, keepdim=True), 1.0)
        # Parenthesized so the forward value is exactly one-hot: (soft - soft) is exactly 0.
        return hard + (soft - soft.detach())  # forward: hard; backward: d softmax


class LogNSoftmax(Normalizer):
    """``softmax(log(n) s)``: logits scaled by log n keep a fixed gap sharp at any n."""

    name = "softmax-logn"

    def normalize(self, scores: Tensor, mask: Tensor | None) -> Tensor:
        count = _key_count(scores, mask)
        # A single visible key takes all the weight whatever the scale; keep -inf * 0 out.
        scale = torch.where(count > 1, torch.log(count), torch.ones_like(count))
        return torch.softmax(scores * scale, dim=-1)


class ReluScaled(Normalizer):
    """``relu(s) / n``: no normalization across keys, only the 1/n scale."""

    name = "relu"
    sums_to_one = False
    shift_invariant = False

    def normalize(self, scores: Tensor, mask: Tensor | None) -> Tensor:
        return torch.relu(scores) / _key_count(scores, mask)


class RowSum(Normalizer):
    """``s / sum s`` for nonnegative scores: the normalizer of linear attention."""

    name = "rowsum"
    shift_invariant = False
    accepts_logits = False

    def normalize(self, scores: Tensor, mask: Tensor | None) -> Tensor:
        scores = scores.masked_fill(torch.isinf(scores), 0.0)  # masked keys (-inf) carry nothing
        return scores / scores.sum(-1, keepdim=True).clamp_min(1e-12)


class Uniform(Normalizer):
    """``1/n`` whatever the scores: attention without content, the floor."""

    name = "uniform"
    content_free = True

    def normalize(self, scores: Tensor, mask: Tensor | None) -> Tensor:
        keep = torch.isfinite(scores).to(scores.dtype)
        return keep / keep.sum(-1, keepdim=True)

    def read(self, values: Tensor, n_queries: int) -> Tensor:
        """What each of ``n_queries`` queries reads under these weights with no key masked:
        the values' mean, computed without any score; ``(..., n_k, d) -> (..., n_queries, d)``."""
        return values.mean(dim=-2, keepdim=True).expand(*values.shape[:-2], n_queries, -1)


# --------------------------------------------------------------------------------------------
# The operator: kernel + normalizer + propagation (dense; causal forms for linear attention)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttentionOutput:
    """``out`` (..., n_q, d_v); ``weights`` and ``scores`` (..., n_q, n_k)."""

    out: Tensor
    weights: Tensor
    scores: Tensor


@dataclass(frozen=True)
class AttentionOperator:
    """A named attention operator: ``out = normalizer(kernel(q, k)) @ v``."""

    name: str
    kernel: Kernel
    normalizer: Normalizer
    description: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def family(self) -> str:
        """What the zoo's summary compares softmax with: ``"content-free"`` (the weights ignore
        the scores), ``"kernel"`` (a feature map with a row sum: linear attention), ``"sparse"``
        (a normalizer with exact zeros by design), else ``"dense"``. Read from the parts, so a
        plugin operator has its family without saying so."""
        if self.normalizer.content_free:
            return "content-free"
        if isinstance(self.kernel, FeatureKernel):
            return "kernel"
        return "sparse" if self.normalizer.sparse else "dense"

    @property
    def is_scaled_softmax(self) -> bool:
        """Whether this is Vaswani's operator exactly (``softmax(q k^T / sqrt d)``), which
        PyTorch's fused ``scaled_dot_product_attention`` computes without the weights."""
        return type(self.kernel) is ScaledDotProduct and type(self.normalizer) is Softmax

    def key_projection(self, query, make_key):
        """The key projection of a model with this operator: the query projection itself when
        the kernel's guarantees need ``W_K = W_Q`` (the one place that rule is written), else
        ``make_key()``, called only then, so a tied model draws no key weights."""
        return query if self.kernel.tied_qk else make_key()

    def weights(self, q: Tensor, k: Tensor, mask: Tensor | None = None) -> Tensor:
        """The weight (routing) matrix, shape ``(..., n_q, n_k)``."""
        return self.normalizer(self.kernel.scores(q, k), mask)

    def __call__(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
        return self.forward(q, k, v, mask).out

    def forward(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None):
        scores = self.kernel.scores(q, k)  # (..., n_q, n_k)
        weights = self.normalizer(scores, mask)  # (..., n_q, n_k)
        return AttentionOutput(out=weights @ v, weights=weights, scores=scores)

    def causal(self, q: Tensor, k: Tensor, v: Tensor, form: str = "dense", chunk: int = 64):
        """Causal attention (query ``i`` reads keys ``j <= i``; ``q``, ``k``, ``v`` of one
        length ``n``) in one of the forms of :data:`CAUSAL_FORMS`, which compute one sum:

        - ``dense``: the masked weight matrix times ``v``, quadratic in ``n``; for a feature
          kernel ``tril(phi(Q) phi(K)^T)`` with its rows normalized;
        - ``recurrent``: one token at a time with a state of fixed size,
          ``S_i = S_{i-1} + phi(k_i) v_i^T`` (Transformers are RNNs);
        - ``chunked``: the masked form within chunks of ``chunk`` tokens and the state carried
          across them, in log space: stable, and the past unchanged by any future.

        The last two need a feature kernel and the row-sum normalizer (linear attention): a
        normalizer of the whole row, softmax's included, has no state of fixed size."""
        if form not in CAUSAL_FORMS:
            raise ValueError(f"unknown form {form!r} (forms: {', '.join(CAUSAL_FORMS)})")
        linear = isinstance(self.kernel, FeatureKernel) and isinstance(self.normalizer, RowSum)
        if form == "dense" and not linear:
            n = q.shape[-2]
            return self(q, k, v, torch.ones(n, n, dtype=torch.bool, device=q.device).tril())
        if not linear:
            raise ValueError(f"operator {self.name!r} has no {form} form: it is not linear")
        if form == "chunked":
            lq, lk = self.kernel.log_features(q), self.kernel.log_features(k)
            return random_features.causal_linear_attention(lq, lk, v, chunk)
        fq, fk = self.kernel.features(q), self.kernel.features(k)
        if form == "recurrent":
            return random_features.recurrent_causal(fq, fk, v)
        return random_features.parallel_causal(fq, fk, v)


# The forms of one causal operator (AttentionOperator.causal): same sum, different cost.
CAUSAL_FORMS = ("dense", "recurrent", "chunked")


def row_change(weights: Tensor, rows: Tensor) -> Tensor:
    """How dynamic an attention graph is: for inputs taken in pairs (the first half against the
    second), the total variation between the same query row's weights on the two inputs,
    ``0.5 * sum_j |A_x[i, j] - A_x'[i, j]|``, averaged over the rows where ``rows`` is true in
    both. 0 for a graph fixed by the architecture (``uniform``: every input gives the same
    rows), 1 when each row's weight moves wholly to other keys. ``weights (2m, L, L)``,
    ``rows (2m, L)`` bool; returns the per-pair values ``(m,)``."""
    m = weights.shape[0] // 2
    a, b = weights[:m].double(), weights[m : 2 * m].double()
    tv = 0.5 * (a - b).abs().sum(-1)  # (m, L)
    keep = (rows[:m] & rows[m : 2 * m]).double()
    return (tv * keep).sum(-1) / keep.sum(-1).clamp_min(1)


def row_entropy(weights: Tensor) -> Tensor:
    """Entropy (nats) of each row of nonnegative weights, renormalized to sum to one, with
    ``0 log 0 = 0``; shape ``weights.shape[:-1]``. Rows of all zeros have entropy 0."""
    tiny = torch.finfo(weights.dtype).tiny
    p = weights / weights.sum(-1, keepdim=True).clamp_min(tiny)
    return -(p * torch.log(p.clamp_min(tiny))).sum(-1)


OPERATORS: dict[str, AttentionOperator] = {}


def register(operator: AttentionOperator) -> AttentionOperator:
    """Add an operator to the registry; names are unique."""
    if operator.name in OPERATORS:
        raise ValueError(f"operator {operator.name!r} is already registered")
    OPERATORS[operator.name] = operator
    return operator


def get(name: str) -> AttentionOperator:
    try:
        return OPERATORS[name]
    except KeyError:
        raise KeyError(f"unknown operator {name!r}; registered: {', '.join(names())}") from None


def names() -> list[str]:
    """Registered operator names, in registration order."""
    return list(OPERATORS)


register(AttentionOperator("softmax", ScaledDotProduct(), Softmax(), "scaled dot product, softmax"))
register(AttentionOperator("sparsemax", ScaledDotProduct(), Sparsemax(), "dot product, sparsemax"))
register(AttentionOperator("entmax15", ScaledDotProduct(), Entmax15(), "dot product, 1.5-entmax"))
register(AttentionOperator("sigmoid", ScaledDotProduct(), SigmoidLogN(), "dot, sigmoid(s-log n)"))
register(AttentionOperator("hardmax", ScaledDotProduct(), Hardmax(), "dot, straight-through"))
register(
    AttentionOperator("softmax_logn", ScaledDotProduct(), LogNSoftmax(), "dot, softmax(log n s)")
)
register(AttentionOperator("relu", ScaledDotProduct(), ReluScaled(), "dot, relu(s)/n"))
register(AttentionOperator("uniform", ScaledDotProduct(), Uniform(), "1/n, ignores content"))
register(AttentionOperator("l2", TiedL2(), Softmax(), "tied L2 distance, softmax"))
register(AttentionOperator("linear_elu", EluPlusOne(), RowSum(), "elu+1 features, row sum"))
register(AttentionOperator("linear_relu", ReluFeatures(), RowSum(), "relu features, row sum"))
register(AttentionOperator("favor", PositiveRandomFeatures(64), RowSum(), "FAVOR+, m = 64"))
register(AttentionOperator("poly2", Polynomial(), RowSum(), "(q.k)^2, row sum"))


def logit_normalizers() -> dict[str, Normalizer]:
    """One instance per registered normalizer that takes raw logits, by normalizer name."""
    out: dict[str, Normalizer] = {}
    for op in OPERATORS.values():
        if op.normalizer.accepts_logits:
            out.setdefault(op.normalizer.name, op.normalizer)
    return out


def _load_plugins() -> None:
    """Import the modules named in ``ANATOMY_OPERATOR_PLUGINS`` (comma-separated); each
    registers its operators on import. This is how an operator defined outside the package
    enters every experiment that enumerates the registry, with no rule edited."""
    import importlib
    import os

    for module in filter(None, os.environ.get("ANATOMY_OPERATOR_PLUGINS", "").split(",")):
        importlib.import_module(module.strip())


_load_plugins()
