"""What cross-attention does in a text-to-image UNet: every measurement of the diffusion
experiment, on top of one controller (:mod:`anatomy.diffusion.cross_attention`).

Sample-based reads use :func:`anatomy.core.shapes_data.read_samples` (no ground truth needed);
map-based reads compare token maps with the scenes' ground-truth masks, DAAM-style: heads
summed, upsampled to the image, normalized by their maximum and thresholded.
Every comparison between conditions starts from the same noise, so differences are paired.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor

from anatomy.core import shapes_data as sd
from anatomy.core.intervals import bootstrap_interval
from anatomy.core.measurement import Job, Subject
from anatomy.diffusion.cross_attention import Window
from anatomy.diffusion.data import evaluation_prompts, palette, render, validation_prompts
from anatomy.diffusion.layer_map import short_name
from anatomy.diffusion.settings import Data, DiffusionSettings, Sampling
from anatomy.pipeline.runtime import seed_of

if TYPE_CHECKING:
    from anatomy.diffusion.model import TextToImage

METRICS = ("present", "binding", "swapped", "position")


def captions_for(attributes: Tensor, data: Data) -> list[str]:
    return [sd.caption(a, palette(data)) for a in attributes]


@contextmanager
def intervention(model: TextToImage, **windows):
    """Set controller fields (``uniform=Window(...)``, ``null=...``, ``cache=...``,
    ``inject=...``, ``record=...``, ``prompts={...}``) for the duration of a block."""
    state = model.controlled().state
    saved = {key: getattr(state, key) for key in windows}
    for key, value in windows.items():
        setattr(state, key, value)
    try:
        yield state
    finally:
        for key, value in saved.items():
            setattr(state, key, value)


def layer_resolution(model: TextToImage, image_size: int) -> dict[str, int]:
    """The side of the feature map each cross-attention layer sees."""
    sizes, hooks = {}, []
    model.controlled()

    def hook(name):
        def fn(module, args, kwargs):
            sizes[name] = (
                int(round(args[0].shape[1] ** 0.5)) if args[0].ndim == 3 else args[0].shape[-1]
            )

        return fn

    for name in model.layers:
        module = model.unet.get_submodule(name.removesuffix(".processor"))
        hooks.append(module.register_forward_pre_hook(hook(name), with_kwargs=True))
    try:
        with torch.no_grad():
            x = torch.zeros(model.latent_shape(1, image_size))
            context, pooled = model.encode(["a"])
            model.denoise(x, torch.tensor([10]), context, pooled)
    finally:
        for h in hooks:
            h.remove()
    return sizes


# ------------------------------------------------------------------------ sample reads


def draw_samples(model, attributes, data, sampling, seed, captions=None, contexts=None) -> Tensor:
    """One image per prompt, from seeded noise, with the configured DDIM steps and guidance."""
    return model.sample(
        captions or captions_for(attributes, data),
        torch.Generator().manual_seed(seed),
        data.size,
        steps=sampling.steps,
        guidance=sampling.guidance,
        contexts=contexts,
    )


def sample_reads(
    model: TextToImage,
    attributes: Tensor,
    data: Data,
    sampling: Sampling,
    seed: int,
    captions: list[str] | None = None,
    contexts=None,
) -> tuple[dict[str, float], Tensor]:
    """Sample one image per prompt (seeded noise) and read it against ``attributes``: the
    share of samples with each read, and the images."""
    reads, images = prompt_reads(model, attributes, data, sampling, seed, captions, contexts)
    return {k: float(v.float().mean()) for k, v in reads.items()}, images


def prompt_reads(
    model: TextToImage,
    attributes: Tensor,
    data: Data,
    sampling: Sampling,
    seed: int,
    captions: list[str] | None = None,
    contexts=None,
) -> tuple[dict[str, Tensor], Tensor]:
    """:func:`sample_reads` per prompt: each read as a boolean per sample, and the images."""
    images = draw_samples(model, attributes, data, sampling, seed, captions, contexts)
    return sd.read_samples(images, attributes, palette(data), data.shapes), images


def chance_levels(data: Data, seed: int, n: int = 4096) -> dict[str, float]:
    """The checker on scenes drawn for other prompts (a model that ignores its prompt), and
    the binding rate of a model that draws the right colours and shapes but pairs them at
    random (1/2 for two different shapes)."""
    g = torch.Generator().manual_seed(seed)
    held = evaluation_prompts(data, seed, n)
    other = sd.sample_attributes(n, g, data.colours, data.shapes, data.relations)
    scenes = render(other, data, g)
    reads = sd.read_samples(scenes.images, held, palette(data), data.shapes)
    out = {f"prompt_ignored_{k}": float(v.float().mean()) for k, v in reads.items()}
    out["random_pairing_binding"] = 0.5
    return out


# --------------------------------------------------------------------------- token maps


def word_indices(caption: str) -> dict[str, int]:
    """Word positions of the two colours and shapes in our captions."""
    words = caption.split()
    return {"colour1": 1, "shape1": 2, "colour2": len(words) - 2, "shape2": len(words) - 1}


def object_maps(probs: Tensor, token_sets: list[list[list[int]]], size: int) -> Tensor:
    """``probs (B, heads, Q, K)`` -> per image and word group, heads and tokens summed and
    upsampled: ``(B, W, size, size)``. ``token_sets[b][w]`` lists the tokens of word ``w``."""
    b, _, q, _ = probs.shape
    side = int(round(q**0.5))
    per_token = probs.sum(1)  # (B, Q, K)
    groups = len(token_sets[0])
    maps = torch.zeros(b, groups, q)
    for i in range(b):
        for w, tokens in enumerate(token_sets[i]):
            maps[i, w] = per_token[i, :, tokens].sum(-1)
    maps = maps.view(b, groups, side, side)
    return F.interpolate(maps, size=(size, size), mode="bilinear", align_corners=False)


def iou(a: Tensor, b: Tensor) -> Tensor:
    inter = (a & b).sum((-1, -2)).float()
    union = (a | b).sum((-1, -2)).float()
    return inter / union.clamp_min(1)


def map_scores(maps: Tensor, masks: Tensor, threshold: float) -> dict[str, Tensor]:
    """``maps (B, 4, H, W)`` for colour1, shape1, colour2, shape2 and ``masks (B, 2, H, W)``:
    IoU of each thresholded map (normalized by its maximum) with its own object's mask and
    with the other object's; the binding margin is their difference."""
    peak = maps.amax((-1, -2), keepdim=True).clamp_min(1e-12)
    binary = maps / peak >= threshold
    own = torch.stack([masks[:, 0], masks[:, 0], masks[:, 1], masks[:, 1]], 1)
    other = torch.stack([masks[:, 1], masks[:, 1], masks[:, 0], masks[:, 0]], 1)
    own_iou, other_iou = iou(binary, own), iou(binary, other)
    mass = maps.clamp_min(0)
    total = mass.sum((-1, -2)).clamp_min(1e-12)
    return {
        "iou": own_iou,
        "iou_other": other_iou,
        "margin": own_iou - other_iou,
        "mass_on_own": (mass * own).sum((-1, -2)) / total,
        "own_area": own.float().mean((-1, -2)),
    }


WORDS = ("colour1", "shape1", "colour2", "shape2")


def noised_scenes(model: TextToImage, data: Data, seed: int, n: int):
    """``n`` held-out scenes, their latents and one seeded noise draw, with each image's
    colour and shape words as token positions: what every map-based reading starts from."""
    g = torch.Generator().manual_seed(seed)
    scenes = render(evaluation_prompts(data, seed, n), data, g)
    tokens = [[model.word_tokens(c)[word_indices(c)[w]] for w in WORDS] for c in scenes.captions]
    x0 = model.to_latents(scenes.images.to(model.device))
    noise = torch.randn(x0.shape, generator=g).to(model.device)
    return scenes, tokens, x0, noise


def at_timestep(model: TextToImage, x0: Tensor, noise: Tensor, t: int) -> tuple[Tensor, Tensor]:
    """The timestep as a batch tensor and the scenes noised to it."""
    tt = torch.full((len(x0),), int(t), dtype=torch.long, device=model.device)
    return tt, model.scheduler.add_noise(x0, noise, tt)


def token_map_table(
    model: TextToImage,
    data: Data,
    seed: int,
    prompts: int,
    timesteps: Sequence[int],
    threshold: float,
) -> pd.DataFrame:
    """DAAM on noised real scenes: one conditional UNet pass per timestep with the maps
    recorded; per layer (and all layers summed), per timestep and per word: mIoU with the
    word's own object, with the other object, the binding margin and the mass on the own
    object (against the object's area share)."""
    scenes, tokens, x0, noise = noised_scenes(model, data, seed, prompts)
    captions = scenes.captions
    rows = []
    with torch.no_grad():
        context, pooled = model.encode(captions)
        for t in timesteps:
            tt, xt = at_timestep(model, x0, noise, t)
            with intervention(model, record=Window()) as state:
                state.reset()
                model.denoise(xt, tt, context, pooled)
                recorded = {layer: state.recorded[(layer, 0)] for layer in model.layers}
            summed = None
            for layer, probs in list(recorded.items()) + [("all", None)]:
                if layer == "all":
                    maps = summed
                else:
                    maps = object_maps(probs.cpu(), tokens, data.size)
                    summed = maps if summed is None else summed + maps
                scores = map_scores(maps, scenes.masks, threshold)
                for w, word in enumerate(WORDS):
                    row = {"layer": layer, "timestep": int(t), "word": word}
                    row.update({k: float(v[:, w].mean()) for k, v in scores.items()})
                    rows.append(row)
                if layer != "all":
                    rows.extend(special_token_rows(probs.cpu(), captions, model, layer, int(t)))
    return pd.DataFrame(rows)


def special_token_rows(probs: Tensor, captions, model: TextToImage, layer: str, t: int):
    """Attention mass on the start token, the end token and padding (a row per kind)."""
    ids = model.token_ids(captions)
    per_token = probs.mean((1, 2))  # (B, K): mean over heads and queries
    end = (
        ids.argmax(-1)
        if not isinstance(model.tokenizer, sd.WordTokenizer)
        else (ids == 2).int().argmax(-1)
    )
    k = torch.arange(ids.shape[1])
    start_mask = (k == 0).expand_as(ids)
    end_mask = k.unsqueeze(0) == end.unsqueeze(1)
    pad_mask = k.unsqueeze(0) > end.unsqueeze(1)
    rows = []
    for kind, mask in (("start", start_mask), ("end", end_mask), ("padding", pad_mask)):
        rows.append(
            {
                "layer": layer,
                "timestep": t,
                "word": f"<{kind}>",
                "mass": float((per_token * mask).sum(-1).mean()),
            }
        )
    return rows


def update_norms(
    model: TextToImage, data: Data, seed: int, prompts: int, timesteps: Sequence[int]
) -> pd.DataFrame:
    """Per cross-attention layer and timestep: the norm of the layer's output (the update
    added to the residual stream) relative to the norm of its (normalized) input."""
    scenes, _, x0, noise = noised_scenes(model, data, seed, prompts)
    ratios, hooks = {}, []
    model.controlled()

    def hook(name):
        def fn(module, args, kwargs, output):
            x = args[0] if args else kwargs["hidden_states"]
            ratios[name] = float(output.norm() / x.norm().clamp_min(1e-12))

        return fn

    for name in model.layers:
        module = model.unet.get_submodule(name.removesuffix(".processor"))
        hooks.append(module.register_forward_hook(hook(name), with_kwargs=True))
    rows = []
    try:
        with torch.no_grad():
            context, pooled = model.encode(scenes.captions)
            for t in timesteps:
                tt, xt = at_timestep(model, x0, noise, t)
                model.denoise(xt, tt, context, pooled)
                rows += [
                    {"layer": n, "timestep": int(t), "update_ratio": r} for n, r in ratios.items()
                ]
    finally:
        for h in hooks:
            h.remove()
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ interventions by reads


def ablation_table(
    model: TextToImage, data: Data, sampling: Sampling, seed: int, prompts: int
) -> pd.DataFrame:
    """Samples with no intervention, then with uniform maps and with the null context in
    each cross-attention layer alone and in all of them: the share of samples with each read,
    and the drop in binding from no intervention with its 95% paired bootstrap interval over
    the prompts (every condition samples the same prompts from the same noise)."""
    attributes = evaluation_prompts(data, seed, prompts)
    rows = []
    model.controlled()
    base, _ = prompt_reads(model, attributes, data, sampling, seed)

    def add(condition, layer, reads):
        drop = (base["binding"].double() - reads["binding"].double()).tolist()
        low, high = bootstrap_interval(drop, seed=seed)
        rows.append(
            {
                "condition": condition,
                "layer": layer,
                **{k: float(v.float().mean()) for k, v in reads.items()},
                "binding_drop": sum(drop) / len(drop),
                "binding_drop_low": low,
                "binding_drop_high": high,
                "prompts": len(drop),
            }
        )

    add("none", "none", base)
    for layer in model.layers + ["all"]:
        layers = None if layer == "all" else frozenset([layer])
        for kind in ("uniform", "null"):
            with intervention(model, **{kind: Window(layers=layers)}):
                reads, _ = prompt_reads(model, attributes, data, sampling, seed)
            add(kind, layer, reads)
    return pd.DataFrame(rows)


def window_table(
    model: TextToImage,
    data: Data,
    sampling: Sampling,
    seed: int,
    prompts: int,
    splits: Sequence[float],
) -> pd.DataFrame:
    """Where binding is decided: the null context (all layers) from step k on, and before
    step k; and the cross-attention output cached at step k and reused after (T-GATE)."""
    attributes = evaluation_prompts(data, seed, prompts)
    steps = sampling.steps
    rows = []
    for fraction in splits:
        k = int(round(fraction * steps))
        conditions = {
            "null_after": dict(null=Window(start=k)),
            "null_before": dict(null=Window(stop=k)),
            "cache_after": dict(cache=Window(start=min(k, steps - 1))) if k < steps else None,
        }
        for condition, windows in conditions.items():
            if windows is None:
                continue
            with intervention(model, **windows):
                reads, _ = sample_reads(model, attributes, data, sampling, seed)
            rows.append({"condition": condition, "fraction": fraction, "step": k, **reads})
    return pd.DataFrame(rows)


def swap_colour(attributes: Tensor, colours: int) -> Tensor:
    """The same prompts with the first object's colour changed to one not in the prompt."""
    out = attributes.clone()
    for i, (c1, _, _, c2, _) in enumerate(attributes.tolist()):
        out[i, 0] = next(c for c in range(colours) if c not in (c1, c2))
    return out


def object_masks(images: Tensor, attributes: Tensor, data: Data) -> Tensor:
    """``(N, 2, H, W)``: each prompt's two coloured objects as read from the images."""
    labels = sd.palette_labels(images, palette(data))
    return torch.stack(
        [labels == attributes[:, 0].view(-1, 1, 1), labels == attributes[:, 3].view(-1, 1, 1)], 1
    )


def word_swap_table(
    model: TextToImage,
    data: Data,
    sampling: Sampling,
    seed: int,
    prompts: int,
    taus: Sequence[float],
) -> tuple[pd.DataFrame, dict]:
    """Prompt-to-Prompt word swap: the source prompt's maps injected into the edited
    prompt's sampling for the first ``tau`` of the steps. Edit success: the edited image
    binds the new colour; layout kept: IoU of the source's and the edit's objects (the
    second object, whose colour did not change, and the first, read in its new colour)."""
    steps = sampling.steps
    source_attr = evaluation_prompts(data, seed, prompts)
    edit_attr = swap_colour(source_attr, data.colours)
    with intervention(model, record=Window()) as state:
        source_reads, source_images = sample_reads(model, source_attr, data, sampling, seed)
        recorded = dict(state.recorded)
    source_masks = object_masks(source_images, source_attr, data)
    rows, grids = [], {"source": source_images}
    for tau in taus:
        k = int(round(tau * steps))
        injected = {key: value for key, value in recorded.items() if key[1] < k}
        with intervention(model, inject=Window(stop=k), injected=injected):
            reads, images = sample_reads(model, edit_attr, data, sampling, seed)
        edit_masks = object_masks(images, edit_attr, data)
        layout = iou(edit_masks, source_masks).mean(0)
        rows.append(
            {
                "tau": tau,
                "steps_injected": k,
                "edit_binding": reads["binding"],
                "edit_present": reads["present"],
                "layout_iou_edited": float(layout[0]),
                "layout_iou_kept": float(layout[1]),
            }
        )
        grids[tau] = images
    frame = pd.DataFrame(rows).assign(source_binding=source_reads["binding"])
    return frame, {"grids": grids, "source": source_attr, "edit": edit_attr}


def layer_groups(model: TextToImage, data: Data) -> dict[str, frozenset[str]]:
    """Cross-attention layers grouped by feature-map resolution (fine, coarse, ...) and by
    place in the UNet (down, mid, up)."""
    res = layer_resolution(model, data.size)
    groups = {}
    for side in sorted(set(res.values()), reverse=True):
        groups[f"{side}x{side}"] = frozenset(n for n, s in res.items() if s == side)
    for part in ("down", "mid", "up"):
        members = frozenset(n for n in model.layers if n.startswith(part))
        if members:
            groups[part] = members
    return groups


def disjoint_prompt(attributes: Tensor, data: Data) -> Tensor:
    """A second prompt differing in every attribute where the vocabulary allows: other
    colours, shapes moved on by one, the relation flipped."""
    out = attributes.clone()
    colours, shapes = data.colours, data.shapes
    for i, (c1, s1, r, c2, s2) in enumerate(attributes.tolist()):
        free = [c for c in range(colours) if c not in (c1, c2)] or [c2, c1]
        out[i, 0] = free[0]
        out[i, 3] = free[1] if len(free) > 1 else c1
        out[i, 1] = (s1 + 1) % shapes
        out[i, 4] = (s2 + 1) % shapes
        out[i, 2] = r ^ 1  # left of <-> right of, above <-> below
    return out


def per_layer_prompt_table(
    model: TextToImage, data: Data, sampling: Sampling, seed: int, prompts: int
) -> pd.DataFrame:
    """P+: prompt B in one group of layers, prompt A everywhere else. Which attributes of
    the image follow B? Colour (B's colours drawn), shape (B's binding read) and position
    (B's relation read), against the same reads for A."""
    a = evaluation_prompts(data, seed, prompts)
    b = disjoint_prompt(a, data)
    with torch.no_grad():
        context_b, _ = model.encode(captions_for(b, data))
        context_null, _ = model.encode([""] * prompts)
    rows = []
    for group, members in {"none": frozenset(), **layer_groups(model, data)}.items():
        # Guidance batches are [conditional, unconditional]: B replaces the conditional half.
        per_layer = {layer: torch.cat([context_b, context_null]) for layer in members}
        with intervention(model, prompts=per_layer):
            _, images = sample_reads(model, a, data, sampling, seed)
        for name, attr in (("A", a), ("B", b)):
            reads = sd.read_samples(images, attr, palette(data), data.shapes)
            labels = sd.palette_labels(images, palette(data))
            colour_hit = torch.stack(
                [(labels == attr[:, j].view(-1, 1, 1)).sum((-1, -2)) >= 4 for j in (0, 3)], 1
            ).all(1)
            rows.append(
                {
                    "group": group,
                    "layers": len(members),
                    "prompt": name,
                    "colours": float(colour_hit.float().mean()),
                    "binding": float(reads["binding"].float().mean()),
                    "position": float(reads["position"].float().mean()),
                }
            )
    return pd.DataFrame(rows)


def example_maps(model: TextToImage, data: Data, seed: int, n: int, timestep: int) -> dict:
    """Token maps of ``n`` held-out scenes at one timestep, per layer and word, with the
    scenes and masks: what the token-map figure draws."""
    scenes, tokens, x0, noise = noised_scenes(model, data, seed, n)
    tt, xt = at_timestep(model, x0, noise, timestep)
    with torch.no_grad(), intervention(model, record=Window()) as state:
        state.reset()
        context, pooled = model.encode(scenes.captions)
        model.denoise(xt, tt, context, pooled)
        maps = {
            short_name(layer): object_maps(state.recorded[(layer, 0)].cpu(), tokens, data.size)
            for layer in model.layers
        }
    return {
        "maps": maps,
        "images": scenes.images,
        "masks": scenes.masks,
        "captions": scenes.captions,
        "timestep": int(timestep),
    }


def measure_samples(model: TextToImage, s: DiffusionSettings, seed: int):
    """Binding on held-out prompts: one row per prompt; a few images kept for the grid."""
    data, a = s.data, s.analysis
    attributes = evaluation_prompts(data, seed, a.prompts)
    images = draw_samples(model, attributes, data, s.sampling, seed)
    reads = sd.read_samples(images, attributes, palette(data), data.shapes)
    table = pd.DataFrame({k: v.numpy() for k, v in reads.items()})
    table["caption"] = captions_for(attributes, data)
    keep = min(len(images), a.grid)
    chance = chance_levels(data, seed)
    return table, {"images": images[:keep], "attributes": attributes[:keep], "chance": chance}


def measure_token_maps(model: TextToImage, s: DiffusionSettings, seed: int):
    data, a = s.data, s.analysis
    table = token_map_table(model, data, seed, a.map_prompts, a.timesteps, a.threshold)
    res = layer_resolution(model, data.size)
    table["resolution"] = table.layer.map(res).fillna(0).astype(int)
    table["name"] = table.layer.map(lambda x: short_name(x) if x != "all" else "all")
    middle = a.timesteps[len(a.timesteps) // 2]
    return table, example_maps(model, data, seed, min(4, a.map_prompts), middle)


def measure_update_norms(model: TextToImage, s: DiffusionSettings, seed: int):
    data, a = s.data, s.analysis
    table = update_norms(model, data, seed, a.map_prompts, a.timesteps)
    table["name"] = table.layer.map(short_name)
    return table, {}


def measure_ablations(model: TextToImage, s: DiffusionSettings, seed: int):
    table = ablation_table(model, s.data, s.sampling, seed, s.analysis.ablation_prompts)
    res = layer_resolution(model, s.data.size)
    table["name"] = table.layer.map(lambda x: short_name(x) if x in res else x)
    table["resolution"] = table.layer.map(res).fillna(0).astype(int)
    return table, {}


def measure_windows(model: TextToImage, s: DiffusionSettings, seed: int):
    a = s.analysis
    return window_table(model, s.data, s.sampling, seed, a.sweep_prompts, a.splits), {}


def measure_word_swap(model: TextToImage, s: DiffusionSettings, seed: int):
    a = s.analysis
    table, extras = word_swap_table(model, s.data, s.sampling, seed, a.swap_prompts, a.taus)
    keep = min(a.swap_prompts, 6)
    extras["grids"] = {k: v[:keep] for k, v in extras["grids"].items()}
    extras["captions"] = [captions_for(extras[k][:keep], s.data) for k in ("source", "edit")]
    return table, extras


def measure_layer_prompts(model: TextToImage, s: DiffusionSettings, seed: int):
    return per_layer_prompt_table(model, s.data, s.sampling, seed, s.analysis.sweep_prompts), {}


def measure_guidance(model: TextToImage, s: DiffusionSettings, seed: int):
    """Binding, presence and position against the classifier-free guidance scale, read on
    the validation prompts (training combinations), never on the held-out test prompts."""
    data, a = s.data, s.analysis
    attributes = validation_prompts(data, seed, a.sweep_prompts)
    rows = []
    for guidance in a.guidance_scales:
        sampling = replace(s.sampling, guidance=guidance)
        reads, _ = sample_reads(model, attributes, data, sampling, seed)
        rows.append({"guidance": guidance, **reads})
    return pd.DataFrame(rows), {}


def load(job: Job) -> Subject:
    """The measurement protocol's loader (:mod:`anatomy.core.measurement`): the probed model
    (``job.source``: one of our checkpoints, or a pretrained folder or hub name) on the job's
    device. Our own model is measured on the held-out prompts of the seed it was trained with,
    so the measurements' seed is the job's plus that training seed."""
    from anatomy.diffusion.model import load as load_model

    source = job.source
    seed = job.seed + (seed_of(source) if job.inputs.get("model") else 0)
    return Subject(load_model(source, job.device), seed, {"model": source, "seed": seed})


MEASUREMENTS = {
    "samples": measure_samples,
    "guidance": measure_guidance,
    "token_maps": measure_token_maps,
    "update_norms": measure_update_norms,
    "ablations": measure_ablations,
    "windows": measure_windows,
    "word_swap": measure_word_swap,
    "layer_prompts": measure_layer_prompts,
}


READS = ("present", "binding", "swapped", "position")


def compare_variants(
    models: dict[str, TextToImage],
    histories: dict[str, pd.DataFrame],
    s: DiffusionSettings,
    seed: int,
    measured: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Main cause or modulator: binding, colour presence and position of each variant on
    the held-out prompts, with its final training loss (mean of the last tenth of steps).
    ``measured``: per-sample reads already taken with the same prompts, noise and sampling
    (the ``samples`` measurement of the base model), used instead of sampling again."""
    data = s.data
    attributes = evaluation_prompts(data, seed, s.analysis.prompts)
    rows = []
    for name, h in histories.items():
        if measured and name in measured:
            reads = {k: float(measured[name][k].mean()) for k in READS}
        else:
            reads, _ = sample_reads(models[name], attributes, data, s.sampling, seed)
        tail = h.loss.iloc[-max(1, len(h) // 10) :]
        rows.append(
            {
                "model": name,
                "operator": models[name].state.operator if name in models else "softmax",
                "steps": int(h.step.max()),
                "final_loss": float(tail.mean()),
                **reads,
                **(colour_map_reads(models[name], s, seed) if name in models else {}),
            }
        )
    return pd.DataFrame(rows)


def colour_map_reads(model: TextToImage, s: DiffusionSettings, seed: int) -> dict[str, float]:
    """How well the colour words' maps, all layers summed, sit on their own objects at the
    middle timestep of the analysis (``analysis.timesteps``) on ``map_prompts`` held-out scenes:
    mIoU with the own object and the binding margin (own minus other IoU)."""
    a = s.analysis
    middle = sorted(a.timesteps)[len(a.timesteps) // 2]
    table = token_map_table(model, s.data, seed, a.map_prompts, [middle], a.threshold)
    colour = table[(table.layer == "all") & table.word.isin(["colour1", "colour2"])]
    return {"miou": float(colour.iou.mean()), "map_margin": float(colour.margin.mean())}
