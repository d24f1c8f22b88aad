"""A tiny text-to-image diffusion model, trained on generated two-object scenes, and the same
interface over real Stable Diffusion.

:class:`TextToImage` holds a ``UNet2DConditionModel``, a text encoder, a tokenizer, a
scheduler and (for latent models such as Stable Diffusion) a VAE. Our own model works in
pixel space on the scenes of :mod:`anatomy.core.shapes_data`; it is saved in the diffusers layout
(``unet/``, ``text_encoder/``, ``tokenizer/``, ``scheduler/``) and loaded back through the
same :func:`load` call as a Stable Diffusion folder, so every analysis runs on either.

Training variants (the "main cause or modulator" comparison):

- ``base``: the text reaches the image only through cross-attention;
- ``pooled``: the pooled text embedding is also added to the time embedding (a global
  modulation path that does not route words to places);
- ``uniform``: cross-attention maps frozen to uniform weights during training and
  sampling (the text content arrives, its routing cannot be learned);
- ``sparsemax``, ``entmax15``: cross-attention weights from that registry normalizer in
  training and sampling (a map that can state a hard choice: exact zeros on other words).
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from anatomy.core import shapes_data as sd
from anatomy.core import training
from anatomy.core.operators import get as get_operator
from anatomy.core.operators import names as operator_names
from anatomy.diffusion.cross_attention import ControllerState, Window, install
from anatomy.diffusion.data import draw_attributes, heldout_combinations, palette, render
from anatomy.diffusion.settings import Architecture, Data, Training
from anatomy.pipeline.config import attention_levels

# The base model and the routing variants (pooled text in the time embedding, maps held
# uniform) keep softmax weights; any other variant is named after the registry operator its
# cross-attention weights come from (plugins included), e.g. the two sparse normalizers.
ROUTING_VARIANTS = ("base", "pooled", "uniform")
NORMALIZER_VARIANTS = ("sparsemax", "entmax15")
VARIANTS = (*ROUTING_VARIANTS, *NORMALIZER_VARIANTS)
MAX_TOKENS = 12  # bos + "a red circle left of a blue square" + eos fits; padding after


def operator_of(variant: str) -> str:
    """The registry operator of a variant's cross-attention weights: softmax for the base
    model and the routing variants, the variant's own name otherwise (a registered operator
    whose kernel can score queries against keys of another source: not a tied one)."""
    if variant in ROUTING_VARIANTS:
        return "softmax"
    if get_operator(variant).kernel.tied_qk:  # raises for an unregistered name
        raise ValueError(
            f"variant {variant!r}: its kernel ties queries to keys, which cross-attention "
            "(queries from the image, keys from the text) cannot do"
        )
    return variant


# ---------------------------------------------------------------------------- the models


def build(arch: Architecture, data: Data, variant: str = "base"):
    """A fresh text encoder and UNet of the architecture ``arch`` for the scenes ``data``
    describes."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    if variant not in ROUTING_VARIANTS and variant not in operator_names():
        raise ValueError(
            f"unknown variant {variant!r} (allowed: {', '.join(ROUTING_VARIANTS)} or a "
            f"registered operator: {', '.join(operator_names())})"
        )
    tokenizer = sd.WordTokenizer.for_captions(palette(data))
    width = arch.text_width
    text = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer.vocab),
            hidden_size=width,
            intermediate_size=2 * width,
            num_hidden_layers=arch.text_layers,
            num_attention_heads=4,
            max_position_embeddings=MAX_TOKENS,
            pad_token_id=0,
            bos_token_id=1,
            eos_token_id=2,
        )
    )
    attention = attention_levels(arch.attention, arch.channels)
    extra = {}
    if variant == "pooled":
        extra = dict(class_embed_type="projection", projection_class_embeddings_input_dim=width)
    unet = UNet2DConditionModel(
        sample_size=data.size,
        in_channels=3,
        out_channels=3,
        layers_per_block=arch.layers_per_block,
        block_out_channels=tuple(arch.channels),
        norm_num_groups=8,
        cross_attention_dim=width,
        attention_head_dim=arch.heads,  # diffusers' name for the number of heads
        # Transformer blocks (self- and cross-attention) only at the levels ``attention`` names.
        down_block_types=tuple("CrossAttnDownBlock2D" if a else "DownBlock2D" for a in attention),
        up_block_types=tuple(
            "CrossAttnUpBlock2D" if a else "UpBlock2D" for a in reversed(attention)
        ),
        **extra,
    )
    return text, unet, tokenizer


def noise_scheduler(prediction: str):
    from diffusers import DDPMScheduler

    return DDPMScheduler(
        num_train_timesteps=1000, prediction_type=prediction, beta_schedule="squaredcos_cap_v2"
    )


@dataclass
class TextToImage:
    """Everything sampling and the analyses need, for our model or Stable Diffusion."""

    unet: object
    text_encoder: object
    tokenizer: object
    scheduler: object
    vae: object = None
    variant: str = "base"
    state: ControllerState = field(default_factory=ControllerState)
    layers: list[str] = field(default_factory=list)  # cross-attention processor names
    device: str = "cpu"

    # -- text
    def token_ids(self, captions: list[str]) -> Tensor:
        if isinstance(self.tokenizer, sd.WordTokenizer):
            return self.tokenizer.encode(captions, MAX_TOKENS)
        return self.tokenizer(
            captions,
            padding="max_length",
            max_length=self.tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        ).input_ids

    def word_tokens(self, caption: str) -> list[list[int]]:
        """For each word of ``caption``, its token positions in :meth:`token_ids`' row."""
        if isinstance(self.tokenizer, sd.WordTokenizer):
            return [[1 + i] for i in range(len(caption.split()))]
        positions, at = [], 1  # after the start token
        for word in caption.split():
            n = len(self.tokenizer(word, add_special_tokens=False).input_ids)
            positions.append(list(range(at, at + n)))
            at += n
        return positions

    def encode(self, captions: list[str]) -> tuple[Tensor, Tensor]:
        """Per-token context ``(N, K, d)`` and pooled text ``(N, d)``."""
        out = self.text_encoder(self.token_ids(captions).to(self.device))
        return out.last_hidden_state, out.pooler_output

    # -- the denoiser
    def denoise(self, x: Tensor, t, context: Tensor, pooled: Tensor) -> Tensor:
        class_labels = pooled if self.variant == "pooled" else None
        return self.unet(x, t, encoder_hidden_states=context, class_labels=class_labels).sample

    def to_latents(self, images: Tensor) -> Tensor:
        if self.vae is None:
            return images
        return self.vae.encode(images).latent_dist.mean * self.vae.config.scaling_factor

    def from_latents(self, latents: Tensor) -> Tensor:
        if self.vae is None:
            return latents
        return self.vae.decode(latents / self.vae.config.scaling_factor).sample

    def latent_shape(self, n: int, image_size: int) -> tuple[int, ...]:
        if self.vae is None:
            return (n, self.unet.config.in_channels, image_size, image_size)
        factor = 2 ** (len(self.vae.config.block_out_channels) - 1)
        size = image_size // factor
        return (n, self.unet.config.in_channels, size, size)

    @torch.no_grad()
    def sample(
        self,
        captions: list[str],
        generator: torch.Generator,
        image_size: int,
        steps: int = 20,
        guidance: float = 3.0,
        contexts: tuple[Tensor, Tensor] | None = None,
        noise: Tensor | None = None,
    ) -> Tensor:
        """DDIM with classifier-free guidance; the controller's ``state.step`` follows the
        sampler (0 = the noisiest step). Images in [-1, 1]."""
        from diffusers import DDIMScheduler

        n = len(captions)
        ddim = DDIMScheduler.from_config(self.scheduler.config)
        ddim.set_timesteps(steps)
        context, pooled = contexts if contexts is not None else self.encode(captions)
        null, null_pooled = self.encode([""] * n)
        both, both_pooled = torch.cat([context, null]), torch.cat([pooled, null_pooled])
        if self.state.null is not None:
            self.state.null_context = null[:1]
        x = (
            noise
            if noise is not None
            else torch.randn(self.latent_shape(n, image_size), generator=generator)
        )
        x = x.to(self.device)
        self.state.reset()
        for i, t in enumerate(ddim.timesteps):
            self.state.step = i
            out = self.denoise(torch.cat([x, x]), t, both, both_pooled)
            cond, uncond = out.chunk(2)
            x = ddim.step(uncond + guidance * (cond - uncond), t, x).prev_sample
        return self.from_latents(x).clamp(-1, 1).cpu()

    def controlled(self) -> TextToImage:
        """Install the controller on every cross-attention layer (idempotent)."""
        if not self.layers:
            self.layers = install(self.unet, self.state)
        return self


# ------------------------------------------------------------------------------ training


def training_target(scheduler, prediction: str, x0: Tensor, noise: Tensor, t: Tensor) -> Tensor:
    """What the UNet learns to output: the velocity, the noise or the clean sample."""
    if prediction == "v_prediction":
        return scheduler.get_velocity(x0, noise, t)
    return noise if prediction == "epsilon" else x0


def train(
    data: Data,
    arch: Architecture,
    tr: Training,
    variant: str,
    steps: int,
    seed: int,
    device: str = "cpu",
    snapshots: dict[int, str | Path] | None = None,
    info: dict | None = None,
    job: str = "",
) -> tuple[TextToImage, list[dict]]:
    """DDPM training on freshly drawn scenes (never a held-out combination), with caption
    dropout for guidance, AdamW, warm-up + cosine learning rate and EMA weights. Returns the
    EMA model and the loss history; ``snapshots`` saves the EMA model at given steps."""
    torch.manual_seed(seed)
    text, unet, tokenizer = build(arch, data, variant)
    text.to(device), unet.to(device)
    scheduler = noise_scheduler(tr.prediction)
    live = TextToImage(unet, text, tokenizer, scheduler, variant=variant, device=device)
    if variant == "uniform":
        live.state.uniform = Window()
    live.state.operator = operator_of(variant)
    if variant == "uniform" or operator_of(variant) != "softmax":
        live.controlled()
    ema = copy.deepcopy(live)  # its processors share the copied state
    held_out = heldout_combinations(data, seed)
    g = torch.Generator().manual_seed(seed)
    null_ids = tokenizer.encode([""], MAX_TOKENS)
    guard = training.Guard(
        job or f"train_diffusion {variant}", "diffusion.training.learning_rate", tr.learning_rate
    )

    def batch_loss(step):
        attributes = draw_attributes(tr.batch, g, data, exclude=held_out)
        scenes = render(attributes, data, g)
        ids = tokenizer.encode(scenes.captions, MAX_TOKENS)
        drop = torch.rand(len(ids), generator=g) < tr.caption_dropout
        ids[drop] = null_ids
        x0 = scenes.images.to(device)
        noise = torch.randn(x0.shape, generator=g).to(device)
        t = torch.randint(0, scheduler.config.num_train_timesteps, (len(ids),), generator=g).to(
            device
        )
        xt = scheduler.add_noise(x0, noise, t)
        target = training_target(scheduler, tr.prediction, x0, noise, t)
        out = text(ids.to(device))
        pred = live.denoise(xt, t, out.last_hidden_state, out.pooler_output)
        return torch.nn.functional.mse_loss(pred, target), {}

    def after_step(step):
        if snapshots and step + 1 in snapshots:
            save(
                ema,
                snapshots[step + 1],
                {**(info or {}), "steps": step + 1, "variant": variant},
                guard,
            )

    history = training.fit(
        list(unet.parameters()) + list(text.parameters()),
        batch_loss,
        steps=steps,
        learning_rate=tr.learning_rate,
        warmup=tr.warmup,
        guard=guard,
        weight_decay=0.0,
        log_every=tr.log_every,
        ema=training.EMA(list(ema.unet.parameters()) + list(ema.text_encoder.parameters()), tr.ema),
        after_step=after_step,
        checked_before=set(snapshots or ()),
    )
    ema.unet.eval(), ema.text_encoder.eval()
    return ema, history


# ----------------------------------------------------------------------------- save / load


def save(model: TextToImage, folder: str | Path, info: dict, guard=None) -> None:
    """The diffusers layout: ``unet/``, ``text_encoder/``, ``tokenizer/``, ``scheduler/``;
    refused (nothing written) when a weight is not finite."""
    guard = guard or training.Guard(f"save {folder}", "diffusion.training.learning_rate", math.nan)
    training.check_finite(model.unet.state_dict() | model.text_encoder.state_dict(), guard)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _quiet()
    model.unet.save_pretrained(folder / "unet")  # attention processors are not saved
    model.text_encoder.save_pretrained(folder / "text_encoder")
    model.tokenizer.save(folder / "tokenizer")
    model.scheduler.save_pretrained(folder / "scheduler")
    (folder / "anatomy.json").write_text(
        json.dumps({"variant": model.variant, **info}, indent=2, sort_keys=True) + "\n"
    )


def _quiet() -> None:
    """No progress bars or advice in the rules' logs."""
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def load(source: str | Path, device: str = "cpu", allow_network: bool = False) -> TextToImage:
    """Our saved model or a Stable Diffusion folder / hub id, through the same calls."""
    _quiet()
    from diffusers import AutoencoderKL, DDIMScheduler
    from transformers import CLIPTextModel, CLIPTokenizer

    from anatomy.diffusion.loading import (
        PretrainedModelMissing,
        is_ours,
        load_unet,
        unreadable_model,
    )

    unet = load_unet(source, allow_network)
    local = not allow_network
    try:
        text = CLIPTextModel.from_pretrained(
            str(source), subfolder="text_encoder", local_files_only=local
        )
        scheduler = DDIMScheduler.from_pretrained(
            str(source), subfolder="scheduler", local_files_only=local
        )
    except (OSError, ValueError, RuntimeError) as error:
        if is_ours(source):
            raise unreadable_model(source, error) from error
        raise PretrainedModelMissing(
            f"{source!r} has a UNet but no text_encoder/ or scheduler/ on this machine"
        ) from error
    folder = Path(source)
    if (folder / "tokenizer" / "vocab.json").exists() and isinstance(
        json.loads((folder / "tokenizer" / "vocab.json").read_text()), list
    ):
        tokenizer = sd.WordTokenizer.load(folder / "tokenizer")
    else:
        tokenizer = CLIPTokenizer.from_pretrained(
            str(source), subfolder="tokenizer", local_files_only=local
        )
    vae = None
    if (folder / "vae").exists() or not folder.exists():
        vae = AutoencoderKL.from_pretrained(str(source), subfolder="vae", local_files_only=local)
        vae.to(device).eval()
    info = {}
    if (folder / "anatomy.json").exists():
        info = json.loads((folder / "anatomy.json").read_text())
    model = TextToImage(
        unet.to(device).eval(),
        text.to(device).eval(),
        tokenizer,
        scheduler,
        vae=vae,
        variant=info.get("variant", "base"),
        device=device,
    )
    if model.variant == "uniform":
        model.state.uniform = Window()
    model.state.operator = operator_of(model.variant)
    return model.controlled()
