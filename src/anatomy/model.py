"""A tiny pre-LN transformer whose attention is any operator from the registry.

Read top to bottom: config -> attention -> MLP -> block -> model. The attention layer keeps the
manual path (projections, operator, merge) so every operator returns its weight matrix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from anatomy import operators
from anatomy.softmax_constraints import sinusoidal_positions


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
        # Tied kernels (L2) need W_K = W_Q: they share the query projection.
        self.k = (
            self.q
            if self.operator.kernel.tied_qk
            else nn.Linear(cfg.d_model, cfg.d_model, bias=False)
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
