"""Every measurement of the ViT experiment, on trained tiny ViTs (with object masks) or on
pretrained timm ViTs (a folder of images, no masks). Each returns a tidy table and the
tensors its figure draws. ``MEASUREMENTS`` holds them in the protocol's one signature
(:mod:`anatomy.core.measurement`): the trained models' measurements each run their per-seed
function (``PER_SEED``: ``(models, objects, settings, seed)``) on every training seed, and
``pretrained`` probes one pretrained timm ViT (the job's ``source``, a :class:`Probed`).

All of them read attention through :func:`anatomy.vit.models.capture` (timm's hooks, fused
attention off, a guard against missing maps) and the geometry of the model itself (patch
size, grid, number of prefix tokens), so the same code serves both paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
from torch import Tensor, nn

from anatomy.core.intervals import bootstrap_interval
from anatomy.core.measurement import Job, Measured, Subject
from anatomy.vit import maps as va
from anatomy.vit import models as vit
from anatomy.vit.data import Objects
from anatomy.vit.settings import ViTSettings


@dataclass(frozen=True)
class Geometry:
    """Where a ViT's patch tokens sit: ``patch`` pixels per side, a ``grid x grid``
    layout, ``prefix`` leading tokens ([CLS] and registers), ``size`` pixels per side."""

    patch: int
    grid: int
    prefix: int

    @property
    def size(self) -> int:
        return self.patch * self.grid


def geometry(model: nn.Module) -> Geometry:
    return Geometry(
        int(model.patch_embed.patch_size[0]),
        int(model.patch_embed.grid_size[0]),
        int(model.num_prefix_tokens),
    )


def attention(model: nn.Module, images: Tensor, batch: int = 64) -> list[Tensor]:
    """Every block's maps ``(B, heads, N, N)``, captured in chunks of ``batch`` images."""
    chunks = [vit.capture(model, images[i : i + batch]) for i in range(0, len(images), batch)]
    return [torch.cat(layer) for layer in zip(*chunks, strict=True)]


def accuracy(model: nn.Module, objects: Objects) -> float:
    with torch.no_grad():
        return float((model(objects.images).argmax(-1) == objects.labels).double().mean())


def distance_rows(model: nn.Module, images: Tensor) -> list[dict]:
    """Mean attention distance per layer and head: pixels, tokens (pixels / patch) and the
    share of what uniform attention over the patches gives."""
    geo = geometry(model)
    uniform = va.uniform_distance(geo.grid, geo.patch)
    rows = []
    for layer, maps in enumerate(attention(model, images)):
        px = va.mean_attention_distance(maps, geo.grid, geo.patch, geo.prefix)
        for head, d in enumerate(px.tolist()):
            rows.append(
                {
                    "layer": layer,
                    "head_id": head,
                    "distance_px": d,
                    "distance_tokens": d / geo.patch,
                    "distance_ratio": d / uniform,
                    "uniform_px": uniform,
                    "patch": geo.patch,
                }
            )
    return rows


def cls_maps(maps: list[Tensor], geo: Geometry) -> dict[tuple[str, int, str], Tensor]:
    """Token maps ``(B, g, g)`` per (kind, layer, head): the [CLS] row of every head and of
    the head average, and the [CLS] row of the rollout up to every layer."""
    out = {}
    for layer, a in enumerate(maps):
        for head in range(a.shape[1]):
            out["cls", layer, str(head)] = va.cls_map(a[:, head : head + 1], geo.grid, geo.prefix)
        out["cls", layer, "mean"] = va.cls_map(a, geo.grid, geo.prefix)
        out["rollout", layer, "mean"] = va.cls_map(
            va.rollout(maps[: layer + 1]), geo.grid, geo.prefix
        )
    return out


def object_scores(token_maps: Tensor, objects: Objects, patch: int, share: float) -> dict:
    """How a map sits on the objects: Jaccard of its ``share``-of-mass region with the
    target and the distractor, their difference (margin) with its standard error and its 95%
    bootstrap interval over the images, and the share of its mass on each (per image means)."""
    size = objects.target.shape[-1]
    region = va.to_pixels(va.mass_mask(token_maps, share), size)
    pixels = va.pixel_map(token_maps / token_maps.sum((-2, -1), keepdim=True), patch)
    jt, jd = va.jaccard(region, objects.target), va.jaccard(region, objects.distractor)
    difference = jt.double() - jd.double()
    low, high = bootstrap_interval(difference.tolist())
    return {
        "jaccard_target": float(jt.mean()),
        "jaccard_distractor": float(jd.mean()),
        "margin": float(difference.mean()),
        "margin_sem": float(difference.std() / len(jt) ** 0.5),
        "margin_low": low,
        "margin_high": high,
        "mass_target": float((pixels * objects.target).sum((-2, -1)).mean()),
        "mass_distractor": float((pixels * objects.distractor).sum((-2, -1)).mean()),
    }


def object_rows(model: nn.Module, objects: Objects, share: float, generator) -> list[dict]:
    """Does attention find the object: every [CLS] and rollout map against the masks, beside
    the baselines any map must beat on the same grid: a random map and the object-agnostic
    maps of :func:`anatomy.vit.maps.object_agnostic_maps` (brightness, both objects
    weighted equally, the average target position)."""
    geo = geometry(model)
    rows = [
        {
            "kind": kind,
            "layer": layer,
            "head_id": head,
            **object_scores(m, objects, geo.patch, share),
        }
        for (kind, layer, head), m in cls_maps(attention(model, objects.images), geo).items()
    ]
    noise = va.random_maps((len(objects.labels), geo.grid, geo.grid), generator)
    baselines = {"random": noise, **va.object_agnostic_maps(objects, geo.patch)}
    rows += [
        {
            "kind": kind,
            "layer": -1,
            "head_id": "mean",
            **object_scores(m, objects, geo.patch, share),
        }
        for kind, m in baselines.items()
    ]
    area = {
        "area_target": float(objects.target.double().mean()),
        "area_distractor": float(objects.distractor.double().mean()),
    }
    return [row | area for row in rows]


def final_maps(model: nn.Module, images: Tensor) -> dict[str, Tensor]:
    """The last layer's head-averaged [CLS] map and the full rollout's, ``(B, g, g)``."""
    geo = geometry(model)
    maps = attention(model, images)
    return {
        "cls": va.cls_map(maps[-1], geo.grid, geo.prefix),
        "rollout": va.cls_map(va.rollout(maps), geo.grid, geo.prefix),
    }


def shift_rows(model: nn.Module, images: Tensor, shifts: list[int]) -> list[dict]:
    """Geometric stability of the last [CLS] map and the rollout under circular shifts."""
    geo = geometry(model)
    seen: list[tuple[Tensor, dict]] = []

    def maps(x: Tensor) -> dict:  # one forward per distinct input serves both kinds
        for inputs, out in seen:
            if inputs.shape == x.shape and torch.equal(inputs, x):
                return out
        seen.append((x, final_maps(model, x)))
        return seen[-1][1]

    rows = []
    for kind in ("cls", "rollout"):

        def map_fn(x, kind=kind):
            return maps(x)[kind]

        for shift in shifts:
            out = va.shift_stability(map_fn, images, shift, geo.patch)
            rows.append(
                {"kind": kind, "shift_px": shift, "shift_patches": shift / geo.patch, **out}
            )
    return rows


def norm_rows(model: nn.Module, images: Tensor, factor: float) -> list[dict]:
    """Token norms after every block, by kind ([CLS], register, patch): the median, the
    largest over the median, and the share of patch tokens above ``factor`` x the median
    (the high-norm artifact population)."""
    geo = geometry(model)
    registers = geo.prefix - 1
    outputs = []
    hooks = [b.register_forward_hook(lambda m, i, o: outputs.append(o)) for b in model.blocks]
    try:
        with torch.no_grad():
            model(images)
    finally:
        for h in hooks:
            h.remove()
    rows = []
    for layer, tokens in enumerate(outputs):
        kinds = {"cls": tokens[:, :1], "patch": tokens[:, geo.prefix :]}
        if registers:
            kinds["register"] = tokens[:, 1 : geo.prefix]
        patch_median = tokens[:, geo.prefix :].double().norm(dim=-1).median()
        for kind, t in kinds.items():
            norms = t.double().norm(dim=-1).flatten()
            rows.append(
                {
                    "layer": layer,
                    "kind": kind,
                    "median_norm": float(norms.median()),
                    "max_over_median": float(norms.max() / norms.median()),
                    "over_patch_median": float(norms.median() / patch_median),
                    "high_norm_fraction": va.high_norm_fraction(t, factor)
                    if kind == "patch"
                    else float("nan"),
                }
            )
    return rows


# -- The trained tiny ViTs: one function per measurement rule ---------------------------------


def _shifts(patch_sizes) -> list[int]:
    return list(range(1, max(patch_sizes) + 1))


def _labelled(rows: list[dict], spec: vit.ModelSpec, **extra) -> list[dict]:
    label = {"model": spec.name, "operator": spec.operator, "registers": spec.registers}
    return [label | extra | row for row in rows]


def measure_distance(models: dict, objects: Objects, s: ViTSettings, seed: int):
    rows = []
    for spec, trained, init in models.values():
        for state, model in (("init", init), ("trained", trained)):
            rows += _labelled(distance_rows(model, objects.images), spec, state=state)
    return pd.DataFrame(rows), {}


def measure_objects(models: dict, objects: Objects, s: ViTSettings, seed: int):
    a = s.analysis
    rows, maps = [], {}
    for spec, trained, init in models.values():
        for state, model in (("init", init), ("trained", trained)):
            g = torch.Generator().manual_seed(seed)
            rows += _labelled(object_rows(model, objects, a.share, g), spec, state=state)
        maps[spec.name] = final_maps(trained, objects.images[: a.examples])
    k = a.examples
    extras = {
        "images": objects.images[:k],
        "target": objects.target[:k],
        "distractor": objects.distractor[:k],
        "labels": objects.labels[:k],
        "maps": maps,
    }
    return pd.DataFrame(rows), extras


def measure_shift(models: dict, objects: Objects, s: ViTSettings, seed: int):
    rows = []
    for spec, trained, _ in models.values():
        rows += _labelled(
            shift_rows(trained, objects.images, _shifts(s.patch_sizes)), spec, patch=spec.patch
        )
    return pd.DataFrame(rows), {}


def patch_row(model: nn.Module, spec: vit.ModelSpec, kind: str, objects: Objects, share: float):
    """One model at its current patch size on ``objects``: accuracy, attention distance (in
    pixels, patches, against uniform attention, as a share of the image side; the lowest
    layer's head mean against uniform) and its final rollout's object scores."""
    geo = geometry(model)
    dist = pd.DataFrame(distance_rows(model, objects.images))
    rolled = final_maps(model, objects.images)["rollout"]
    return {
        "model": spec.name,
        "kind": kind,
        "trained_patch": spec.patch,
        "patch": geo.patch,
        "size": geo.size,
        "tokens": geo.grid**2,
        "accuracy": accuracy(model, objects),
        "distance_px": dist.distance_px.mean(),
        "distance_tokens": dist.distance_tokens.mean(),
        "distance_ratio": dist.distance_ratio.mean(),
        "distance_image": dist.distance_px.mean() / geo.size,
        "lowest_layer_ratio": dist.groupby("layer").distance_ratio.mean().min(),
        "last_distance_px": dist[dist.layer == dist.layer.max()].distance_px.mean(),
        **object_scores(rolled, objects, geo.patch, share),
    }


def measure_patch(models: dict, objects: Objects, s: ViTSettings, seed: int):
    """Every model's accuracy, distance and rollout Jaccard at its own patch size, and the
    reference softmax model re-patchified (timm ``set_input_size``) to every other size."""
    share = s.analysis.share
    ref = vit.ModelSpec("softmax", s.reference_patch).name
    rows = [
        patch_row(trained, spec, "native", objects, share) for spec, trained, _ in models.values()
    ]
    spec, trained, _ = models[ref]
    for p in s.patch_sizes:
        if p != spec.patch:
            rows.append(patch_row(va.repatchify(trained, p), spec, "repatchified", objects, share))
    return pd.DataFrame(rows), {}


def measure_tokens(models: dict, objects: dict[int, Objects], s: ViTSettings, seed: int):
    """The patch sweep at a fixed token count: every model of the sweep on held-out images of
    its own size (``objects`` by image side), smallest image first. The scenes come from the
    same distribution at every size (object radii are shares of the side), so along the sweep an
    object covers about as many tokens and what changes is the pixels inside a patch."""
    share = s.analysis.share
    rows = []
    for spec, trained, _ in models.values():
        size = geometry(trained).size
        rows.append(patch_row(trained, spec, "fixed tokens", objects[size], share))
    return pd.DataFrame(rows).sort_values("size", kind="stable", ignore_index=True), {}


def measure_norms(models: dict, objects: Objects, s: ViTSettings, seed: int):
    factor = s.analysis.norm_factor
    rows = []
    for spec, trained, _ in models.values():
        rows += _labelled(norm_rows(trained, objects.images, factor), spec, patch=spec.patch)
    return pd.DataFrame(rows), {}


PER_SEED = {
    "distance": measure_distance,
    "objects": measure_objects,
    "shift": measure_shift,
    "patch": measure_patch,
    "norms": measure_norms,
    "tokens": measure_tokens,  # objects: {image side: Objects}
}


@dataclass(frozen=True)
class Trained:
    """What the trained ViTs' measurements measure: the checkpoints of every training seed
    (``{seed: paths}``, seeds in increasing order) and the held-out images (for the token
    sweep, a held-out set per image side)."""

    seeds: dict[int, list[str]]
    objects: Objects | dict[int, Objects]


@dataclass(frozen=True)
class Probed:
    """What the pretrained measurement probes: a pretrained timm ViT (``name``) and the user's
    images through its own evaluation transform (``files``: their names)."""

    name: str
    model: nn.Module
    images: Tensor
    files: list[str]


def load(job: Job) -> Subject:
    """The measurement protocol's loader (:mod:`anatomy.core.measurement`). For a job that
    names a pretrained timm ViT (``job.source``): that model, with its weights from
    ``vit.pretrained.weights``, and the folder's images (:class:`Probed`). Otherwise the rule's
    checkpoints by seed and its held-out images (``data``; ``sized``: the other image sides'
    sets, for the token sweep); the checkpoints are loaded one seed at a time as measured."""
    from pathlib import Path

    from anatomy.core.artifacts import load_torch, pretrained_file
    from anatomy.pipeline.runtime import by_seed
    from anatomy.vit.data import evaluation_set

    if job.source is not None:
        p = ViTSettings.of(job.settings).pretrained
        model = vit.load_pretrained(job.source, file=pretrained_file(p.weights, job.source))
        images, files = load_images(p.images, model, p.limit)
        probed = Probed(job.source, model, images, files)
        return Subject(probed, job.seed, {"model": job.source, "images": len(files)})
    objects = evaluation_set(load_torch(job.inputs["data"][0]))
    if job.inputs.get("sized"):
        sets = [objects] + [evaluation_set(load_torch(p)) for p in job.inputs["sized"]]
        objects = {o.images.shape[-1]: o for o in sets}
    seeds = by_seed(job.inputs["models"])
    models = sorted({Path(path).parent.name for path in job.inputs["models"]})
    return Subject(Trained(seeds, objects), job.seed, {"models": models, "seeds": list(seeds)})


def over_seeds(per_seed):
    """The measurement (one signature: ``(trained, settings, seed) -> Measured``) that runs
    ``per_seed`` on the models of every training seed: one table with a ``seed`` column, and the
    first seed's tensors (the maps a figure draws) with that seed under ``"seed"``. Each seed's
    random baselines draw from ``seed`` + its training seed."""

    def measure(trained: Trained, s: ViTSettings, seed: int) -> Measured:
        tables, tensors = [], None
        for offset, paths in trained.seeds.items():
            table, found = per_seed(load_models(paths), trained.objects, s, seed + offset)
            tables.append(table.assign(seed=offset))
            if tensors is None:
                tensors = {**found, "seed": offset} if found else {}
        return Measured(pd.concat(tables, ignore_index=True), tensors)

    measure.__name__ = measure.__qualname__ = per_seed.__name__
    return measure


def pretrained(probed: Probed, s: ViTSettings, seed: int) -> Measured:
    """The mask-free analyses on a pretrained ViT (:func:`probe_pretrained`), its maps of
    every image for the overlay figure, and the images' names."""
    table, tensors = probe_pretrained(probed.model, probed.images, s.analysis.norm_factor)
    return Measured(table.assign(model=probed.name), tensors | {"files": probed.files})


MEASUREMENTS = {name: over_seeds(per_seed) for name, per_seed in PER_SEED.items()}
MEASUREMENTS["pretrained"] = pretrained


def load_models(paths) -> dict[str, tuple[vit.ModelSpec, nn.Module, nn.Module]]:
    """name -> (spec, trained model, the same model at initialization)."""
    out = {}
    for path in paths:
        spec, trained = vit.load_checkpoint(path, "trained")
        _, init = vit.load_checkpoint(path, "init")
        out[spec.name] = (spec, trained, init)
    return out


# -- Pretrained timm ViTs on a folder of images ------------------------------------------------

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def load_images(folder, model: nn.Module, limit: int) -> tuple[Tensor, list[str]]:
    """The folder's images (sorted by name, at most ``limit``) through the model's own
    evaluation transform (resize, crop, normalization from its pretrained config)."""
    from pathlib import Path

    import timm.data
    from PIL import Image

    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    files = files[:limit]
    config = timm.data.resolve_data_config({}, model=model)
    transform = timm.data.create_transform(**config)
    images = torch.stack([transform(Image.open(f).convert("RGB")) for f in files])
    return images, [f.name for f in files]


def probe_pretrained(
    model: nn.Module, images: Tensor, norm_factor: float
) -> tuple[pd.DataFrame, dict]:
    """The mask-free analyses on a pretrained ViT: distance per layer and head, stability of
    its maps under shifts of 1 pixel, half a patch and a patch, token norms; the maps of
    every image for the overlay figure."""
    geo = geometry(model)
    shifts = sorted({1, max(1, geo.patch // 2), geo.patch})
    tables = {
        "distance": distance_rows(model, images),
        "shift": shift_rows(model, images, shifts),
        "norms": norm_rows(model, images, norm_factor),
    }
    rows = [{"measurement": name} | row for name, part in tables.items() for row in part]
    return pd.DataFrame(rows), {
        "images": images,
        "maps": final_maps(model, images),
        "patch": geo.patch,
    }
