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
# # Reading 4: attention as an RNN, a GNN and a convolution
#
# Three papers read the same formula three ways: "Transformers are RNNs" (Katharopoulos et al.),
# "Transformers are Graph Neural Networks" (Joshi), and "On the Relationship between
# Self-Attention and Convolutional Layers" (Cordonnier et al.). The plan's promised output is a
# picture: **attention = dynamic adjacency matrix + value aggregation**. This notebook checks
# each reading numerically with the library the pipeline uses; the note's section
# "Equivalent forms" has the table of tolerances and the figure from trained models.

# %%
import math
import os

import matplotlib.pyplot as plt
import torch

from anatomy.core import operators
from anatomy.core import random_features as rf
from anatomy.equivalent_forms import message_passing as mp

torch.set_num_threads(int(os.environ.get("ANATOMY_THREADS", "1")))
torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(0)

# %% [markdown]
# ## Transformers are RNNs
#
# With a feature map $\phi$, causal attention
# $y_i = \sum_{j\le i}\phi(q_i)\cdot\phi(k_j)\,v_j / \sum_{j\le i}\phi(q_i)\cdot\phi(k_j)$
# needs only the running sums $S_i = S_{i-1} + \phi(k_i) v_i^\top$ and
# $z_i = z_{i-1} + \phi(k_i)$: an RNN with a $d\times d$ state. These are forms of one
# registry operator (`linear_elu`, $\phi = \mathrm{elu} + 1$): the masked-matrix form, the
# recurrence, and a chunked form (quadratic inside a chunk, recurrent across chunks) agree:

# %%
n, d = 40, 8
q, k, v = (torch.randn(n, d, generator=g) for _ in range(3))
linear = operators.get("linear_elu")
parallel = linear.causal(q, k, v, "dense")
recurrent = linear.causal(q, k, v, "recurrent")
chunked = linear.causal(q, k, v, "chunked", chunk=7)
print(f"parallel vs recurrent: {(parallel - recurrent).abs().max():.1e}")
print(f"parallel vs chunked:   {(parallel - chunked).abs().max():.1e}")

# %% [markdown]
# The chunked form keeps its exponents finite with the running maximum of the keys seen so
# far. A global maximum over all keys would be simpler, and wrong for a causal model: a large
# key in the future would change (here: underflow) the past.

# %%
w = rf.draw_projection(32, d, "iid", g)
lq, lk = rf.log_features(rf.scaled(q), w), rf.log_features(rf.scaled(k), w)
before = rf.causal_linear_attention(lq, lk, v, chunk=n)
k_future = k.clone()
k_future[20:] *= 100
after = rf.causal_linear_attention(lq, rf.log_features(rf.scaled(k_future), w), v, chunk=n)
print("past unchanged:", torch.equal(before[:20], after[:20]))

# %% [markdown]
# ## Transformers are GNNs: the weight matrix is an adjacency matrix
#
# Score each edge $j\to i$ by $q_i\cdot k_j/\sqrt d$, normalize over each node's in-edges, sum
# the value messages: that is softmax attention on the complete graph, and masked attention on
# a sparser one.

# %%
complete = mp.message_passing_attention(q, k, v, mp.complete_graph(n))
print(f"complete graph: {(complete - mp.dense_attention(q, k, v)).abs().max():.1e}")
mask = (torch.rand(n, n, generator=g) < 0.2) | torch.eye(n, dtype=torch.bool)
sparse = mp.message_passing_attention(q, k, v, mp.edges_from_mask(mask))
print(f"sparse graph:   {(sparse - mp.dense_attention(q, k, v, mask)).abs().max():.1e}")

# %% [markdown]
# The difference from a GNN is where the graph comes from. A GNN's adjacency is given; the
# attention graph is computed from the content at every layer. Graph attention (GAT) sits in
# between: its score $\mathrm{LeakyReLU}(a_\mathrm{dst}\cdot Wx_i + a_\mathrm{src}\cdot Wx_j)$
# ranks the keys by $a_\mathrm{src}\cdot Wx_j$ alone, the same order for every query
# ("static" attention). Dot-product attention re-ranks per query:

# %%
for row in mp.static_rankings(16, 8, 0):
    alike = row["same_key_ranking"]
    print(f"{row['attention']:>12}: query pairs ranking the keys alike = {alike:.2f}")

# %% [markdown]
# ## Self-attention can be a convolution
#
# Give head $h$ the relative score $-\alpha(|\delta|^2 - 2\Delta_h\cdot\delta)$ for a key at
# offset $\delta$: as $\alpha$ grows it attends only to offset $\Delta_h$. With $K^2$ heads,
# one per offset, and each head's value projection set to the kernel's slice at its offset,
# multi-head attention computes a $K\times K$ convolution. The error is the weight leaking to
# the four nearest neighbours, about $4e^{-\alpha}$:

# %%
table = mp.conv_sweep(size=6, kernel=3, channels=3, alphas=[1, 2, 4, 8, 16, 32], seed=0)
fig, ax = plt.subplots(figsize=(4, 3))
ax.semilogy(table.alpha, table.relative_error, marker="o", label="attention vs conv2d")
ax.semilogy(table.alpha, table.leak, ls=":", color="black", label="4 exp(-alpha)")
ax.set(xlabel="alpha", ylabel="relative error")
ax.legend()
plt.show()

# %% [markdown]
# ## The picture: a dynamic adjacency matrix
#
# Drawn for two inputs of one random layer, the weight matrix is a different graph each time;
# the pipeline draws the same picture from trained models (figure "dynamic adjacency" in the
# note). The structure that a convolution or a GNN fixes in advance, attention recomputes:
# a soft, content-dependent graph, followed by value aggregation.

# %%
wq, wk = torch.randn(d, d, generator=g), torch.randn(d, d, generator=g)
fig, axes = plt.subplots(1, 2, figsize=(6, 3))
for ax, seed in zip(axes, (1, 2), strict=True):
    x = torch.randn(8, d, generator=torch.Generator().manual_seed(seed))
    a = torch.softmax((x @ wq) @ (x @ wk).T / math.sqrt(d), -1)
    ax.imshow(a, vmin=0, vmax=1, cmap="magma_r")
    ax.set(title=f"input {seed}", xlabel="key", ylabel="query")
plt.show()

# %% [markdown]
# ## How dynamic is a trained graph?
#
# A random layer's graph changes with its input by construction. The question for the thesis
# is whether *training* makes use of that freedom: a GNN's or a convolution's graph is fixed
# before the data arrive, and the content-free `uniform` operator is that case inside the zoo.
# The pipeline (`zoo_adjacency`) takes the trained zoo models of a task that content-free
# routing cannot answer (associative recall: the queried key decides which pair to read) and
# runs many pairs of inputs through each. For every query row it measures the total variation
# between the row on one input and the same row on the other,
#
# $$\mathrm{change} = \tfrac12 \sum_j \lvert A_x[i,j] - A_{x'}[i,j] \rvert \in [0, 1],$$
#
# 0 when the graph is fixed by the architecture, 1 when each query's weight moves wholly to
# other keys. The check first: `uniform` must read exactly 0, whatever it was trained on.

# %%
import numpy as np
import pandas as pd

from anatomy.core.artifacts import load_torch
from anatomy.equivalent_forms.linear_kernels import adjacency_summary
from anatomy.pipeline.notebooks import inputs

data = load_torch(inputs("message_passing")["adjacency"])
rows = [
    {"operator": m["operator"], "seed": m["seed"], "change": float(m["row_change"].mean())}
    for m in data["maps"]
    if "row_change" in m
]
change = pd.DataFrame(rows)
print("task:", data["task"])
print(change.pivot_table(index="operator", columns="seed", values="change").round(3))
# The means over seeds with their 95% t intervals, as the note quotes them.
for op, summary in adjacency_summary(data["maps"]).items():
    if "change" in summary:
        print(f"{op}: {summary['change']:.3f} +- {summary['change_ci']:.3f}")
if "uniform" in set(change.operator):
    assert np.allclose(change[change.operator == "uniform"].change, 0.0)

# %% [markdown]
# A content-computed operator that answered recall has to move its query rows between inputs:
# the pair holding the queried key sits at a different position each time. How far each
# operator moves them, per training seed, is below; the note's Layer B section gives the means
# with their intervals beside the static attention of GAT (Brody et al. 2022), whose queries
# all rank the keys alike. A row that moves a lot is not yet reasoning: it is a graph
# recomputed from content, which is what "dynamic adjacency matrix + value aggregation" means.

# %%
fig, ax = plt.subplots(figsize=(5, 3))
order = list(dict.fromkeys(change.operator))
for i, op in enumerate(order):
    values = change[change.operator == op].change
    ax.scatter([i] * len(values), values, color="tab:blue", alpha=0.6)
    ax.hlines(values.mean(), i - 0.3, i + 0.3, color="black")
ax.set_xticks(range(len(order)), order)
ax.set(ylabel="row change (TV between inputs)", ylim=(-0.05, 1.05))
plt.show()
