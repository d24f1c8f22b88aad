"""One cross-attention controller for diffusers UNets: record, ablate, inject, re-prompt, cache.

A :class:`ControllerState` is shared by one :class:`ControlledAttnProcessor` per
cross-attention layer (``attn2``) of a ``UNet2DConditionModel``; self-attention layers keep
diffusers' own processor. Each intervention holds a :class:`Window` of layers and denoising
steps, so any of them can act per layer and per step:

- ``record``: keep the attention probabilities ``(B, heads, Q, K)``;
- ``uniform``: replace them by the registry's ``uniform`` weights, ``1/K`` (the text content
  stays, the routing goes);
- ``null``: attend to the null (empty-prompt) context instead (the content goes);
- ``inject``: use probabilities recorded from another prompt (Prompt-to-Prompt word swap);
- ``prompts``: a different context for chosen layers (P+);
- ``cache``: from the window's first step on, reuse the output cached there (T-GATE).

The weights come from a registry operator (:mod:`anatomy.core.operators`), ``softmax`` unless
``operator`` names another: a model trained with sparsemax or 1.5-entmax cross-attention is
probed by the same interventions. With no intervention and ``softmax`` the controller computes
exactly what diffusers' ``AttnProcessor`` does (the default SDPA processor never materializes
probabilities, so we cannot read them there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from anatomy.core.operators import ScaledDotProduct, get

UNIFORM = get("uniform").normalizer  # content-free routing: the registry's, not a copy


@dataclass
class Window:
    """Cross-attention layers (``None``: all) and denoising steps ``[start, stop)``."""

    layers: frozenset[str] | None = None
    start: int = 0
    stop: int | None = None

    def covers(self, layer: str, step: int) -> bool:
        in_layers = self.layers is None or layer in self.layers
        return in_layers and step >= self.start and (self.stop is None or step < self.stop)


@dataclass
class ControllerState:
    """What every controlled processor reads and writes; ``step`` is set by the sampler."""

    step: int = 0
    operator: str = "softmax"  # the registry operator that turns scores into weights
    record: Window | None = None
    uniform: Window | None = None
    null: Window | None = None
    null_context: Tensor | None = None  # (1 or B, K, d): the empty prompt's encoding
    inject: Window | None = None
    injected: dict[tuple[str, int], Tensor] = field(default_factory=dict)
    prompts: dict[str, Tensor] = field(default_factory=dict)  # layer -> context (P+)
    cache: Window | None = None
    recorded: dict[tuple[str, int], Tensor] = field(default_factory=dict)
    cached: dict[str, Tensor] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget recordings and caches (keep the interventions)."""
        self.step = 0
        self.recorded.clear()
        self.cached.clear()


class ControlledAttnProcessor:
    """Cross-attention with the controller's interventions; shapes follow diffusers'
    ``AttnProcessor`` (heads folded into the batch: ``(B * heads, Q, K)``)."""

    def __init__(self, name: str, state: ControllerState):
        self.name = name
        self.state = state

    def __call__(
        self,
        attn,
        hidden_states,
        encoder_hidden_states=None,
        attention_mask=None,
        temb=None,
        *args,
        **kwargs,
    ):
        s, layer = self.state, self.name
        if s.cache is not None and s.cache.covers(layer, s.step) and s.step > s.cache.start:
            if layer not in s.cached:
                raise RuntimeError(f"{layer}: no output cached at step {s.cache.start}")
            return s.cached[layer]

        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            batch, channel, height, width = hidden_states.shape
            hidden_states = hidden_states.view(batch, channel, height * width).transpose(1, 2)
        batch = hidden_states.shape[0]

        context = encoder_hidden_states
        if layer in s.prompts:
            context = s.prompts[layer].expand(batch, -1, -1)
        if s.null is not None and s.null.covers(layer, s.step):
            context = s.null_context.expand(batch, -1, -1)
        if context is None:
            context = hidden_states
        elif attn.norm_cross:
            context = attn.norm_encoder_hidden_states(context)

        attention_mask = attn.prepare_attention_mask(attention_mask, context.shape[1], batch)
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        value = attn.head_to_batch_dim(attn.to_v(context))  # (B h, K, d_h)
        uniform = s.uniform is not None and s.uniform.covers(layer, s.step)
        inject = s.inject is not None and s.inject.covers(layer, s.step)
        record = s.record is not None and s.record.covers(layer, s.step)
        if uniform and not inject and not record:
            # Weights 1/K: every query reads the mean value, so no score is needed.
            mixed = UNIFORM.read(value, hidden_states.shape[1])
        else:
            query = attn.head_to_batch_dim(attn.to_q(hidden_states))  # (B h, Q, d_h)
            key = attn.head_to_batch_dim(attn.to_k(context))  # (B h, K, d_h)
            probs = weights(s.operator, attn, query, key, attention_mask)  # (B h, Q, K)
            if uniform:
                probs = UNIFORM(probs.float()).to(probs.dtype)
            if inject:
                probs = s.injected[(layer, s.step)].reshape(probs.shape).to(probs)
            if record:
                s.recorded[(layer, s.step)] = probs.detach().reshape(
                    batch, attn.heads, *probs.shape[1:]
                )
            mixed = torch.bmm(probs, value)

        out = attn.batch_to_head_dim(mixed)
        out = attn.to_out[1](attn.to_out[0](out))
        if input_ndim == 4:
            out = out.transpose(-1, -2).reshape(batch, channel, height, width)
        if attn.residual_connection:
            out = out + residual
        out = out / attn.rescale_output_factor

        if s.cache is not None and s.cache.covers(layer, s.step) and s.step == s.cache.start:
            s.cached[layer] = out
        return out


def weights(operator: str, attn, query: Tensor, key: Tensor, attention_mask) -> Tensor:
    """Cross-attention weights ``(B h, Q, K)`` from the registry operator ``operator``:
    diffusers' own softmax for ``softmax`` (bit for bit its ``AttnProcessor``); for another
    dot-product operator its normalizer on the same scores, ``attn.scale`` times ``q . k`` plus
    the additive mask; for a feature-kernel operator (linear attention) its own weights, the
    kernel's scores under its row normalizer."""
    if operator == "softmax":
        return attn.get_attention_scores(query, key, attention_mask)
    op = get(operator)
    if isinstance(op.kernel, ScaledDotProduct):
        scores = attn.scale * query @ key.transpose(-1, -2)
        if attention_mask is not None:
            scores = scores + attention_mask
        return op.normalizer(scores.float()).to(query.dtype)
    if attention_mask is not None:
        raise ValueError(f"operator {operator!r}: its kernel takes no additive attention mask")
    return op.weights(query.float(), key.float()).to(query.dtype)


def cross_attention_layers(unet) -> list[str]:
    """Names of the UNet's cross-attention processors (``...attn2.processor``), in the order
    the forward pass meets them: down blocks, middle block, up blocks."""
    stage = {"down_blocks": 0, "mid_block": 1, "up_blocks": 2}

    def order(name):
        parts = name.split(".")
        numbers = [int(p) for p in parts if p.isdigit()]
        return (stage.get(parts[0], 3), numbers)

    return sorted((n for n in unet.attn_processors if n.endswith("attn2.processor")), key=order)


def install(unet, state: ControllerState) -> list[str]:
    """Put a controlled processor on every cross-attention layer; self-attention layers keep
    the processor they have (diffusers' fused one by default). Returns the cross-attention
    names."""
    cross = cross_attention_layers(unet)
    current = unet.attn_processors
    processors = {
        name: ControlledAttnProcessor(name, state) if name in cross else current[name]
        for name in current
    }
    unet.set_attn_processor(processors)  # diffusers pops from this dict: build it fresh
    return cross
