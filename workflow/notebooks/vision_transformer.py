# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Reading 5: the Vision Transformer — does self-attention find objects?
#
# ViT (Dosovitskiy et al., "An Image is Worth 16x16 Words") cuts an image into patches, embeds
# each patch as a token, prepends a learned [CLS] token and runs a plain transformer. Nothing in
# the architecture says that two neighbouring patches belong together: locality, objectness and
# geometry must all be learned from data, through the attention weights. That makes ViT the
# cleanest place to ask three questions of the reading plan, looking at the maps rather than at
# accuracy:
#
# 1. does self-attention in vision **find objects**, or only a salient blob?
# 2. does it have a **stable geometric meaning** (does a map move with the image)?
# 3. what happens when the **patch size** changes?
#
# No pretrained ViT can be downloaded where this pipeline runs, so the pipeline trains tiny ViTs
# on images it draws itself, where the object masks are known. This notebook opens the
# reference model the pipeline trained and works through each measurement by hand; the section
# "What ViT attention finds" has the sweeps over all models.

# %%
import os

import matplotlib.pyplot as plt
import pandas as pd
import torch
import torch.nn.functional as F

from anatomy.vit import data as vit_data
from anatomy.vit import maps as va
from anatomy.vit import measurements as vm
from anatomy.vit import models as vit

torch.set_num_threads(int(os.environ.get("ANATOMY_THREADS", "1")))
from anatomy.pipeline.notebooks import inputs  # noqa: E402

paths = inputs("vision_transformer")  # what the pipeline hands this notebook, by name
run = pd.read_json(paths["patch_meta"], typ="series")
settings, seed = run["settings"], run["seeds"][0]  # the first training seed's models
reference = vit.ModelSpec("softmax", settings["reference_patch"]).name
checkpoint = paths["model"]
print("reference model:", checkpoint, "| patch sizes:", settings["patch_sizes"])

# %% [markdown]
# ## The data: an object that decides the label, and a decoy that does not
#
# Each image holds a *target* whose shape (circle, square, triangle) is the label, and a
# *distractor*: a filled cross of the **same colour and area**, at a random place, on a
# textured, noisy background. Brightness, colour and area cannot tell them apart; only the
# shape that carries the label can. A map that lands on "something bright" covers either
# object; a map that lands on "the object the classifier needs" covers the target. The Jaccard
# index of a map with each of the two masks tells these apart.

# %%
data = torch.load(paths["data"])
objects = vit_data.evaluation_set(data)
fig, axes = plt.subplots(1, 6, figsize=(8, 1.6))
for ax, image, t, d, label in zip(
    axes, objects.images, objects.target, objects.distractor, objects.labels, strict=False
):
    ax.imshow(((image.permute(1, 2, 0) + 1) / 2).clamp(0, 1))
    ax.contour(t.float(), levels=[0.5], colors="white", linewidths=0.8)
    ax.contour(d.float(), levels=[0.5], colors="cyan", linewidths=0.8)
    ax.set_title(vit_data.SHAPES[label], fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Our operators inside timm
#
# timm's `VisionTransformer` takes the class of its attention layer (`attn_layer`). The
# pipeline hands it a class built from a registered operator, with the same parameter names as
# timm's own `Attention`, so the two compute the same thing on the same weights:

# %%
from timm.layers import Attention  # noqa: E402

ours, theirs = vit.attention_layer("softmax")(32, num_heads=4), Attention(32, num_heads=4)
theirs.load_state_dict(ours.state_dict())
x = torch.randn(2, 10, 32)
print("max |ours - timm| =", float((ours(x) - theirs(x)).abs().max()))

# %% [markdown]
# ## Capturing attention, and the failure it guards against
#
# timm computes attention with `scaled_dot_product_attention` when `fused_attn` is on: the
# probabilities never exist, and hooks on `attn_drop` never fire. A capture that quietly
# returned nothing would make every map in the note empty. `vit.capture` turns fused attention
# off and raises if any block still gives no maps:

# %%
from timm.models.vision_transformer import VisionTransformer  # noqa: E402

size, patch = objects.images.shape[-1], settings["reference_patch"]
stock = VisionTransformer(img_size=size, patch_size=patch, embed_dim=32, depth=2, num_heads=4)
stock = stock.eval()
for block in stock.blocks:
    block.attn.fused_attn = True
try:
    vit.capture(stock, objects.images[:2], disable_fused=False)
except vit.MissingAttentionMaps as error:
    print("raised:", error)
maps = vit.capture(stock, objects.images[:2])
print(
    "with fused attention off:",
    [tuple(m.shape) for m in maps],
    "rows sum to",
    float(maps[0].sum(-1).mean()),
)

# %% [markdown]
# ## Mean attention distance, and its ceiling
#
# The ViT paper's Fig. 7 measures, for each head, the attention-weighted distance in pixels
# between a query patch and the patches it attends to. Uniform attention gives the mean
# distance between two patches of the grid, about 0.52 of the image width for a fine grid: the
# ceiling of a "global" head. A *local* head sits well below it.

# %%
_, model = vit.load_checkpoint(checkpoint)
_, untrained = vit.load_checkpoint(checkpoint, "init")
geo = vm.geometry(model)
print(f"grid {geo.grid}x{geo.grid}, patch {geo.patch} px, prefix tokens {geo.prefix}")
print(
    "uniform attention:",
    round(va.uniform_distance(geo.grid, geo.patch), 2),
    "px =",
    round(va.distance_ceiling_share(geo.grid, geo.patch), 3),
    "of the width",
)
for name, m in (("untrained", untrained), ("trained", model)):
    rows = pd.DataFrame(vm.distance_rows(m, objects.images))
    print(
        name,
        rows.pivot(index="layer", columns="head_id", values="distance_ratio").round(2),
        sep="\n",
    )

# %% [markdown]
# At initialization every head is uniform (ratio 1): the queries and keys are small random
# projections of tokens that are nearly alike. Training is what makes heads local or global.

# %% [markdown]
# ## Does the [CLS] token look at the object?
#
# DINO's recipe: keep the largest entries of the [CLS] map until they hold 60% of its mass,
# and compare that region with the object mask (Jaccard index). Here the comparison is made
# twice, with the target and with the distractor, and against baselines on the same grid: a
# random map, and maps that know where the objects are but not which one the label needs (the
# image's brightness, both objects weighted equally, the average target position). A map that
# only finds "objects" ties with the decoy; only one that reads the label's evidence can beat
# the best of these. Attention rollout multiplies the head-averaged maps of all layers, each
# mixed half and half with the identity (the residual path).

# %%
share = settings["analysis"]["share"]
g = torch.Generator().manual_seed(0)
found = pd.DataFrame(vm.object_rows(model, objects, share, g))
last = found.layer.max()
picked = found[
    ((found.kind == "rollout") & (found.layer == last))
    | ((found.kind == "cls") & (found.layer == last) & (found["head_id"] == "mean"))
    | found.kind.isin(["random", "brightness", "objects", "position"])
]
picked[
    ["kind", "jaccard_target", "jaccard_distractor", "margin", "margin_low", "margin_high"]
].round(3)

# %%
final = vm.final_maps(model, objects.images[:4])
fig, axes = plt.subplots(2, 4, figsize=(6, 3))
for e in range(4):
    for r, kind in enumerate(("cls", "rollout")):
        heat = F.interpolate(final[kind][e][None, None], size=(geo.size, geo.size))[0, 0]
        axes[r, e].imshow(heat, cmap="magma")
        axes[r, e].contour(objects.target[e].float(), levels=[0.5], colors="white")
        axes[r, e].contour(objects.distractor[e].float(), levels=[0.5], colors="cyan")
        axes[r, e].axis("off")
axes[0, 0].set_title("[CLS], last layer", fontsize=8, loc="left")
axes[1, 0].set_title("rollout", fontsize=8, loc="left")
plt.show()

# %% [markdown]
# ## Does a map move with the image?
#
# Shift the image circularly by $s$ pixels. If the map had a stable geometric meaning, the map of
# the shifted image would be the shifted map (equivariance), and its centroid would move $s$
# pixels. A shift by a whole patch moves every patch onto a neighbour's place, so only the
# position embeddings see a difference; a shift by one pixel changes what every patch contains.

# %%
for shift in sorted({1, max(1, geo.patch // 2), geo.patch}):
    out = va.shift_stability(
        lambda x: vm.final_maps(model, x)["rollout"], objects.images, shift, geo.patch
    )
    print(
        f"shift {shift} px: equivariance error {out['equivariance_error']:.3f}"
        f" (a map that ignored the shift: {out['static_error']:.3f}),"
        f" the centroid follows {out['tracking']:.2f} of the move"
    )

# %% [markdown]
# ## Another patch size, same weights
#
# timm's `set_input_size(patch_size=...)` resamples the patch embedding and the position table
# so that the trained model reads the image with another patch size. What the model learned
# about *pixels* and what it learned about *tokens* then come apart: if its heads keep their
# distance in pixels, the geometry was about the image; if they keep it in tokens, it was about
# the sequence.

# %%
for p in settings["patch_sizes"]:
    other = va.repatchify(model, p) if p != geo.patch else model
    rows = pd.DataFrame(vm.distance_rows(other, objects.images))
    print(
        f"patch {p}: accuracy {vm.accuracy(other, objects):.2f},"
        f" distance {rows.distance_px.mean():.2f} px = {rows.distance_tokens.mean():.2f} patches"
    )

# %% [markdown]
# ## Another patch size, the same number of tokens
#
# Re-patchifying and the sweep over patch sizes at one image size both change two things at
# once: the pixels in a patch and the number of tokens the attention rows spread over. The
# pipeline separates them with models trained on the **same token grid** at larger images and
# proportionally larger patches (`vit.token_sweep`). The scenes come from the same distribution at
# every size (radii and positions in shares of the side), so an object covers about as many tokens
# at every size; what changes is how many pixels a patch holds. If accuracy and attention
# distance in patches stay put along this sweep while they move along the patch sizes at one
# image size, the patch size alone is not what moved them.

# %%
from anatomy.core.intervals import seed_means  # noqa: E402

sweep = seed_means(pd.read_parquet(paths["tokens"]))
sweep[
    [
        "model",
        "size",
        "patch",
        "tokens",
        "accuracy",
        "accuracy_ci",
        "distance_px",
        "distance_tokens",
        "distance_ratio",
        "margin",
    ]
].round(3)

# %% [markdown]
# ## High-norm tokens and registers
#
# Large ViTs trained long grow a few background patch tokens with a very large norm, which
# soak up attention as scratch space; register tokens give that computation a place of its own.
# The share of patch tokens above three times the median norm, per layer:

# %%
pd.DataFrame(vm.norm_rows(model, objects.images, settings["analysis"]["norm_factor"])).query(
    "kind == 'patch'"
)[["layer", "median_norm", "max_over_median", "high_norm_fraction"]].round(3)

# %% [markdown]
# ## Where this lands in the argument
#
# The measurements above are the reference model's; the section compares every model and gives
# the numbers. The point for the note's thesis is what kind of thing an attention map is here:
# a weighting learned end to end for one label, whose geometry is whatever the data and the
# position table made of it. Where the maps find the target rather than the same-coloured
# decoy, attention has been shaped into a soft prior over where to look; where they move with
# the image only at whole-patch shifts, that prior is tied to the token grid, not to the scene.
