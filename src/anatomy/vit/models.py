"""Tiny timm Vision Transformers with the registry's attention operators, attention capture
through timm's own hooks, and the loading path for pretrained timm ViTs.

- :func:`attention_layer` turns a registered operator into a class timm's
  ``VisionTransformer(attn_layer=...)`` builds every block with; softmax through it computes
  what timm's own ``Attention`` computes (tested).
- :func:`capture` reads the attention probabilities of every block with
  ``timm.utils.AttentionExtract`` (forward hooks on each block's ``attn_drop``). timm's fused
  attention (``scaled_dot_product_attention``) never materializes the probabilities and never
  calls ``attn_drop``, so a model left fused yields no maps at all; :func:`capture` turns
  fused attention off and raises :class:`MissingAttentionMaps` if a block still gives none.
- :func:`load_pretrained` loads a named timm model through the real pretrained path, from a
  local file (``pretrained_cfg_overlay=dict(file=...)``) or the hub; without either it
  raises :class:`PretrainedModelMissing` saying what to download and where to point it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict
from pathlib import Path

import torch
from torch import Tensor, nn

from anatomy.core import operators, training
from anatomy.core.artifacts import load_torch
from anatomy.core.shapes_data import SHAPES
from anatomy.vit.settings import Architecture, Data, Training
from anatomy.vit.specs import (  # noqa: F401 (re-exported: vit.ModelSpec, ...)
    ModelSpec,
    experiment_specs,
    model_specs,
    token_sweep_specs,
)


class MissingAttentionMaps(RuntimeError):
    """A block produced no attention probabilities (fused attention, or a foreign layer)."""


class PretrainedModelMissing(FileNotFoundError):
    """A pretrained model was asked for and cannot be loaded here."""


def _timm_attention():
    from timm.layers import Attention

    return Attention


class RegistryAttention(nn.Module):
    """timm's multi-head self-attention with the weights from a registered operator.

    Same parameters and names as ``timm.layers.Attention`` (``qkv``, ``proj``), so timm's
    initialisation, checkpoints and ``set_input_size`` work unchanged; the weights pass
    through ``attn_drop`` so that timm's hooks can read them."""

    # Plain softmax attention trains through PyTorch's fused kernel (the same sum, 18% off a
    # step of the finest model on the CPU): nothing reads the weights then. ``capture`` turns
    # it off, so every map read out of a model comes from the registry operator.
    fused_attn = True
    operator_name = "softmax"

    def __init__(
        self,
        dim: int,
        num_heads: int = 8,
        qkv_bias: bool = False,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
        **_ignored,
    ):
        super().__init__()
        self.num_heads, self.head_dim = num_heads, dim // num_heads
        self.operator = operators.get(self.operator_name)
        self.fusable = self.operator.is_scaled_softmax
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: Tensor, attn_mask: Tensor | None = None, is_causal: bool = False):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # (B, h, N, d_h)
        if self.fused_attn and self.fusable:
            drop = self.attn_drop.p if self.training else 0.0
            out = nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=drop)
            return self.proj_drop(self.proj(out.transpose(1, 2).reshape(B, N, C)))
        k = self.operator.key_projection(q, lambda: k)  # a tied kernel reads q as its keys
        weights = self.attn_drop(self.operator.weights(q, k))  # (B, h, N, N)
        out = (weights @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(out))


@functools.cache
def attention_layer(operator: str) -> type[RegistryAttention]:
    """The ``attn_layer`` class for timm's ``VisionTransformer`` (timm wants a class): a
    registered operator's attention."""
    operators.get(operator)  # unknown names fail here, with the registry's list
    return type(f"{operator.title()}Attention", (RegistryAttention,), {"operator_name": operator})


def build_vit(
    img_size: int,
    patch_size: int,
    embed_dim: int,
    depth: int,
    heads: int,
    classes: int,
    operator: str = "softmax",
    reg_tokens: int = 0,
):
    """A tiny timm ``VisionTransformer`` (class token, learned positions) with our attention."""
    from timm.models.vision_transformer import VisionTransformer

    return VisionTransformer(
        img_size=img_size,
        patch_size=patch_size,
        in_chans=3,
        num_classes=classes,
        embed_dim=embed_dim,
        depth=depth,
        num_heads=heads,
        mlp_ratio=2.0,
        reg_tokens=reg_tokens,
        attn_layer=attention_layer(operator),
    )


def attention_modules(model: nn.Module) -> list[str]:
    """Names of the model's attention modules (timm's or ours), in forward order."""
    kinds = (_timm_attention(), RegistryAttention)
    return [name for name, m in model.named_modules() if isinstance(m, kinds)]


def capture(model: nn.Module, images: Tensor, disable_fused: bool = True) -> list[Tensor]:
    """Every block's attention probabilities ``(B, heads, N, N)`` on ``images``, in block
    order, read through timm's hooks on ``attn_drop``.

    ``disable_fused=False`` leaves timm's fused attention as it is (only for tests of the
    guard): a fused block produces no maps and this raises :class:`MissingAttentionMaps`."""
    from timm.utils import AttentionExtract

    names = attention_modules(model)
    if not names:
        raise MissingAttentionMaps("the model has no attention module that capture knows")
    if disable_fused:
        for name in names:
            model.get_submodule(name).fused_attn = False
    extract = AttentionExtract(model, names=[f"{n}.attn_drop" for n in names], method="hook")
    with torch.no_grad():
        maps = extract(images)
    missing = [n for n in names if maps.get(f"{n}.attn_drop") is None]
    if missing:
        raise MissingAttentionMaps(
            f"no attention maps from {len(missing)} of {len(names)} blocks ({missing[0]}, ...):"
            " fused attention never materializes them; call capture() with fused attention off"
        )
    out = [maps[f"{n}.attn_drop"] for n in names]
    for name, m in zip(names, out, strict=True):
        sums = m.sum(-1)
        if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
            raise MissingAttentionMaps(f"{name}: captured rows do not sum to one")
    return out


def load_pretrained(
    name: str, file: str | Path | None = None, num_classes: int | None = None, allow_network=False
):
    """A pretrained timm model through timm's pretrained path: from ``file`` (a local
    checkpoint, ``pretrained_cfg_overlay=dict(file=...)``), or from the hub when network use
    is allowed. Without either: :class:`PretrainedModelMissing` with what to do."""
    import timm

    overlay = {}
    if file is not None:
        if not Path(file).exists():
            raise PretrainedModelMissing(_missing_message(name, file))
        overlay["file"] = str(file)
        if num_classes is not None:
            overlay["num_classes"] = num_classes
    elif not allow_network:
        raise PretrainedModelMissing(_missing_message(name, None))
    kwargs = {} if num_classes is None else {"num_classes": num_classes}
    try:
        model = timm.create_model(name, pretrained=True, pretrained_cfg_overlay=overlay, **kwargs)
    except (OSError, RuntimeError) as error:  # no network, no cache
        raise PretrainedModelMissing(_missing_message(name, file) + f" ({error})") from error
    return model.eval()


def _missing_message(name: str, file) -> str:
    where = f"the file {file} does not exist" if file else "no local file was given"
    return (
        f"pretrained ViT {name!r} is not available here ({where}, and the hub cannot be "
        f"reached). Download its weights once (for example `hf download timm/{name} "
        f"model.safetensors --local-dir models/vit/{name}`) and pass that file as `file`."
    )


def train(
    model: nn.Module,
    sampler,
    steps: int,
    batch: int,
    learning_rate: float,
    seed: int,
    warmup: int = 50,
    log_every: int = 100,
    job: str = "train_vit",
    device: str = "cpu",
) -> list[dict]:
    """Train a classifier on freshly drawn batches (``sampler(n, generator) -> (x, y)``) with
    AdamW, warm-up and cosine learning rate; returns the loss and accuracy history. The
    batches are drawn on the CPU (the same images on any device) and moved to ``device``,
    where the model must be."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model.train()

    def batch_loss(step):
        x, y = sampler(batch, g)
        x, y = x.to(device), y.to(device)
        logits = model(x)
        accuracy = (logits.argmax(-1) == y).float().mean()  # read at the next log line
        return nn.functional.cross_entropy(logits, y), {"accuracy": accuracy}

    history = training.fit(
        model.parameters(),
        batch_loss,
        steps=steps,
        learning_rate=learning_rate,
        warmup=warmup,
        guard=training.Guard(job, "vit.training.learning_rate", learning_rate),
        weight_decay=0.05,
        log_every=log_every,
    )
    model.eval()
    return history


def build_from_spec(spec: ModelSpec, data_size: int, architecture: Architecture) -> nn.Module:
    return build_vit(
        spec.image_size(data_size),
        spec.patch,
        architecture.embed_dim,
        architecture.depth,
        architecture.heads,
        len(SHAPES),
        spec.operator,
        spec.registers,
    )


def train_seed(
    spec: ModelSpec,
    data_size: int,
    architecture: Architecture,
    t: Training,
    sampler,
    seed: int,
    job: str = "",
    device: str = "cpu",
):
    """One seed of one model, from its initialization to the end of training, exactly as if
    nothing had run before it in the process: ``(weights at initialization, trained model,
    history)``. It trains on ``device`` and comes back on the CPU."""
    import copy

    torch.manual_seed(seed)  # every model starts from its seed's initialization
    model = build_from_spec(spec, data_size, architecture)
    init = copy.deepcopy(model.state_dict())
    model.to(device)
    history = train(
        model,
        sampler,
        t.steps,
        t.batch,
        t.learning_rate,
        seed,
        warmup=t.warmup,
        log_every=t.log_every,
        job=job or f"train_vit {spec.name}",
        device=device,
    )
    return init, model.to("cpu"), history


def save_checkpoint(
    path,
    spec: ModelSpec,
    data: Data,
    architecture: Architecture,
    init_state: dict,
    model,
    meta=None,
    learning_rate: float = math.nan,
):
    """The trained weights, the weights at initialization (for before/after comparisons)
    and what is needed to rebuild the model (the data and architecture settings); refused
    when a weight is not finite, naming the learning rate it was trained with."""
    guard = training.Guard(f"train_vit {spec.name}", "vit.training.learning_rate", learning_rate)
    training.check_finite(model.state_dict(), guard)
    torch.save(
        {
            "spec": spec.name,
            "settings": {"data": asdict(data), "model": asdict(architecture)},
            "init": init_state,
            "trained": model.state_dict(),
            "meta": meta or {},
        },
        path,
    )


def load_checkpoint(path, state: str = "trained") -> tuple[ModelSpec, nn.Module]:
    """A saved ViT at ``state`` (``trained`` or ``init``), in eval mode."""
    blob = load_torch(path)
    spec = ModelSpec.parse(blob["spec"])
    saved = blob["settings"]
    model = build_from_spec(spec, saved["data"]["size"], Architecture(**saved["model"]))
    model.load_state_dict(blob[state])
    return spec, model.eval()
