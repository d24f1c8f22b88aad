"""A tiny pre-LN transformer whose attention is any operator from the registry.

Read top to bottom: config -> attention -> MLP -> block -> model. The attention layer keeps the
manual path (projections, operator, merge) so every operator returns its weight matrix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from anatomy.core import operators
from anatomy.core.positions import sinusoidal_positions


@dataclass
class ModelConfig:
    vocab: int
    classes: int
    operator: str = "softmax"
    d_model: int = 32  # small enough to train 90 models in minutes on two cores
    heads: int = 4
    layers: int = 2
    positions: bool = True  # sinusoidal encodings (they extrapolate, unlike learned ones)
    causal: bool = False
    max_len: int = 1024  # longest sequence the position table covers

    def to_dict(self) -> dict:
        return asdict(self)


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.heads, self.d_head = cfg.heads, cfg.d_model // cfg.heads
        self.operator = operators.get(cfg.operator)
        self.q = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        # Tied kernels (L2) share the query projection.
        self.k = self.operator.key_projection(
            self.q, lambda: nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        )
        self.v = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.out = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.last_weights: Tensor | None = None

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        B, L, _ = x.shape

        def split(t):
            return t.view(B, L, self.heads, self.d_head).transpose(1, 2)  # (B, h, L, dh)

        result = self.operator.forward(split(self.q(x)), split(self.k(x)), split(self.v(x)), mask)
        self.last_weights = result.weights  # (B, h, L, L)
        merged = result.out.transpose(1, 2).reshape(B, L, -1)  # (B, L, d)
        return self.out(merged)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.attention = Attention(cfg)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.d_model, 4 * cfg.d_model),
            nn.GELU(),
            nn.Linear(4 * cfg.d_model, cfg.d_model),
        )

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        x = x + self.attention(self.norm1(x), mask)
        return x + self.mlp(self.norm2(x))


class TinyTransformer(nn.Module):
    """Token classifier: ``tokens (B, L) -> logits (B, L, classes)``."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab, cfg.d_model)
        self.register_buffer(
            "position_table",
            sinusoidal_positions(cfg.max_len, cfg.d_model).float(),
            persistent=False,
        )
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.classes)
        self.last_hidden: Tensor | None = None

    def forward(self, tokens: Tensor) -> Tensor:
        B, L = tokens.shape
        x = self.embed(tokens)  # (B, L, d); N(0, 1) entries, the scale of the positions
        if self.cfg.positions:
            if L > self.cfg.max_len:
                raise ValueError(f"sequence of {L} tokens exceeds max_len {self.cfg.max_len}")
            x = x + self.position_table[:L]
        mask = None
        if self.cfg.causal:
            mask = torch.ones(L, L, dtype=torch.bool, device=tokens.device).tril()  # (L, L)
        for block in self.blocks:
            x = block(x, mask)
        self.last_hidden = x  # (B, L, d), before the final norm
        return self.head(self.norm(x))

    def attention_weights(self) -> list[Tensor]:
        """Each layer's weights from the last forward pass, ``(B, h, L, L)``."""
        return [block.attention.last_weights for block in self.blocks]


# ---- many seeds in one model -----------------------------------------------------------------


def _linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``x (S, B, L, in)``, ``weight (S, out, in)``, ``bias (S, out)``: one batched matmul."""
    S, B, L, _ = x.shape
    flat = x.reshape(S, B * L, -1)
    w = weight.transpose(1, 2)  # (S, in, out)
    y = torch.bmm(flat, w) if bias is None else torch.baddbmm(bias.unsqueeze(1), flat, w)
    return y.view(S, B, L, -1)


def _layer_norm(x: Tensor, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
    y = nn.functional.layer_norm(x, x.shape[-1:], eps=eps)
    return y * weight[:, None, None, :] + bias[:, None, None, :]


class StackedTransformer(nn.Module):
    """``S`` :class:`TinyTransformer` s of one configuration (one per seed) trained as one
    model: every parameter gets a leading seed dimension, ``tokens (S, B, L) -> logits
    (S, B, L, classes)``, and each seed's output depends on that seed's parameters and tokens
    alone. A small model's step is mostly per-operation overhead, so S seeds cost about what
    one does. :meth:`unstack` gives the seeds back as ordinary :class:`TinyTransformer` s."""

    def __init__(self, models: list[TinyTransformer]):
        super().__init__()
        self.cfg = models[0].cfg
        if any(m.cfg != self.cfg for m in models):
            raise ValueError("a stack holds models of one configuration")
        # named_parameters lists a tied key projection once (as the query's), as the stack does.
        self.names = [name for name, _ in models[0].named_parameters()]
        stacked = [
            torch.stack([dict(m.named_parameters())[name].detach() for m in models])
            for name in self.names
        ]
        self.stack = nn.ParameterList(nn.Parameter(t.clone()) for t in stacked)
        self.register_buffer("position_table", models[0].position_table, persistent=False)
        self.eps = models[0].norm.eps
        self.tied_qk = models[0].blocks[0].attention.k is models[0].blocks[0].attention.q
        self.operator = models[0].blocks[0].attention.operator
        self.last_weights: list[Tensor] = []
        self.last_hidden: Tensor | None = None

    @property
    def seeds(self) -> int:
        return self.stack[0].shape[0]

    def _p(self) -> dict[str, Tensor]:
        return dict(zip(self.names, self.stack, strict=True))

    def forward(self, tokens: Tensor) -> Tensor:
        cfg, p = self.cfg, self._p()
        S, B, L = tokens.shape
        seed = torch.arange(S, device=tokens.device).view(S, 1, 1)
        x = p["embed.weight"][seed, tokens]  # (S, B, L, d)
        if cfg.positions:
            if L > cfg.max_len:
                raise ValueError(f"sequence of {L} tokens exceeds max_len {cfg.max_len}")
            x = x + self.position_table[:L]
        mask = None
        if cfg.causal:
            mask = torch.ones(L, L, dtype=torch.bool, device=tokens.device).tril()
        self.last_weights = []
        for i in range(cfg.layers):
            b = f"blocks.{i}."
            h = _layer_norm(x, p[b + "norm1.weight"], p[b + "norm1.bias"], self.eps)
            x = x + self._attention(h, p, b + "attention.", mask)
            h = _layer_norm(x, p[b + "norm2.weight"], p[b + "norm2.bias"], self.eps)
            h = nn.functional.gelu(_linear(h, p[b + "mlp.0.weight"], p[b + "mlp.0.bias"]))
            x = x + _linear(h, p[b + "mlp.2.weight"], p[b + "mlp.2.bias"])
        self.last_hidden = x
        x = _layer_norm(x, p["norm.weight"], p["norm.bias"], self.eps)
        return _linear(x, p["head.weight"], p["head.bias"])

    def _attention(self, x: Tensor, p: dict, a: str, mask: Tensor | None) -> Tensor:
        S, B, L, d = x.shape
        heads = self.cfg.heads

        def split(t):
            return t.view(S, B, L, heads, d // heads).transpose(2, 3)  # (S, B, h, L, dh)

        q = _linear(x, p[a + "q.weight"], None)
        k = q if self.tied_qk else _linear(x, p[a + "k.weight"], None)
        v = _linear(x, p[a + "v.weight"], None)
        result = self.operator.forward(split(q), split(k), split(v), mask)
        self.last_weights.append(result.weights)  # (S, B, h, L, L)
        merged = result.out.transpose(2, 3).reshape(S, B, L, d)
        return _linear(merged, p[a + "out.weight"], None)

    def unstack(self) -> list[TinyTransformer]:
        """One :class:`TinyTransformer` per seed, holding that seed's parameters."""
        models, stacked = [], self._p()
        for s in range(self.seeds):
            model = TinyTransformer(self.cfg).to(self.stack[0].device)
            with torch.no_grad():
                for name, param in model.named_parameters():
                    param.copy_(stacked[name][s])
            models.append(model)
        return models
