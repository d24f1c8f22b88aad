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
import torch.nn.functional as F

from anatomy import message_passing as mp
from anatomy import random_features as rf

torch.set_num_threads(int(os.environ.get("ANATOMY_THREADS", "1")))
torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(0)

# %% [markdown]
# ## Transformers are RNNs
#
# With a feature map $\phi$, causal attention
# $y_i = \sum_{j\le i}\phi(q_i)\cdot\phi(k_j)\,v_j / \sum_{j\le i}\phi(q_i)\cdot\phi(k_j)$
# needs only the running sums $S_i = S_{i-1} + \phi(k_i) v_i^\top$ and
# $z_i = z_{i-1} + \phi(k_i)$: an RNN with a $d\times d$ state. The masked-matrix form, the
# recurrence, and a chunked form (quadratic inside a chunk, recurrent across chunks) agree:

# %%
n, d = 40, 8
q, k, v = (torch.randn(n, d, generator=g) for _ in range(3))
fq, fk = F.elu(q) + 1, F.elu(k) + 1
parallel = rf.parallel_causal(fq, fk, v)
recurrent = rf.recurrent_causal(fq, fk, v)
chunked = rf.causal_linear_attention(rf.elu_log_features(q), rf.elu_log_features(k), v, chunk=7)
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
