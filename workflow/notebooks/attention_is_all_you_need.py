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
# # Reading 1: "Attention Is All You Need" (Vaswani et al., 2017), attention only
#
# The reading plan asks three things of this paper, and nothing about encoders, decoders or the
# engineering of multiple heads:
#
# 1. write $\mathrm{softmax}(QK^\top/\sqrt d)\,V$ as an **information-routing operator**;
# 2. work out **what softmax constrains**;
# 3. ask what is left of attention **if softmax is replaced**.
#
# The output the plan names is a one-page note, *attention = similarity kernel + normalization
# + value propagation*. This notebook writes that decomposition out, then reads the same
# computation in three ways (a routing matrix, a Nadaraya-Watson kernel smoother, one step of
# a modern Hopfield network) and checks on one small example that the three give the same
# numbers as the pipeline's own operator (`anatomy.core.operators`). The condensed argument, with
# the measurements at scale, is the section "What softmax constrains" of the note.

# %%
import math
import os

import matplotlib.pyplot as plt
import torch

from anatomy.core import operators
from anatomy.softmax_constraints import measures as softmax_constraints

torch.set_num_threads(int(os.environ.get("ANATOMY_THREADS", "1")))
torch.set_default_dtype(torch.float64)  # identities are checked to ~1e-15, not to float32's 1e-7

# %% [markdown]
# ## The example
#
# Six tokens in a model of width four. Queries, keys and values are linear maps of the same
# tokens $X$, as in self-attention; the seed fixes everything, so the numbers below are the
# ones the pipeline prints every time.

# %%
generator = torch.Generator().manual_seed(0)
n, d = 6, 4
X = torch.randn(n, d, generator=generator)
W_q, W_k, W_v = (torch.randn(d, d, generator=generator) / math.sqrt(d) for _ in range(3))
Q, K, V = X @ W_q, X @ W_k, X @ W_v  # each (n, d)

# %% [markdown]
# ## Attention = kernel + normalization + propagation
#
# * The **kernel** scores every query/key pair: $s_{ij} = q_i\cdot k_j/\sqrt d$.
# * The **normalizer** turns each row of scores into weights:
#   $a_{ij} = e^{s_{ij}}/\sum_l e^{s_{il}}$.
# * **Propagation** aggregates the values with those weights: $y_i = \sum_j a_{ij} v_j$.
#
# The registry's `softmax` operator is exactly this triple; we keep its output as the reference.

# %%
softmax_attention = operators.get("softmax")
print(
    softmax_attention.kernel.name, "+", softmax_attention.normalizer.name, "+ quadratic propagation"
)
reference = softmax_attention.forward(Q, K, V)
Y_reference = reference.out

# %% [markdown]
# ## Interpretation 1: a routing matrix
#
# $A = \mathrm{softmax}(QK^\top/\sqrt d)$ is an $n\times n$ row-stochastic matrix: row $i$ says
# from which tokens token $i$ pulls information, and in what proportion. The output is the
# matrix product $Y = AV$: every token's new value is a *mixture* of old values. Written
# from scratch:

# %%
scores = Q @ K.T / math.sqrt(d)  # (n, n)
A = torch.exp(scores - scores.max(dim=1, keepdim=True).values)
A = A / A.sum(dim=1, keepdim=True)  # rows sum to one
Y_routing = A @ V

fig, ax = plt.subplots(figsize=(3.2, 2.8))
image = ax.imshow(A, cmap="viridis", vmin=0)
ax.set(xlabel="key j (source)", ylabel="query i (destination)", title="routing matrix A")
fig.colorbar(image, ax=ax)
plt.show()
print("row sums:", A.sum(1))
print("smallest weight:", float(A.min()), "(softmax never routes exactly nothing)")

# %% [markdown]
# ## Interpretation 2: a Nadaraya-Watson kernel smoother
#
# Tsai et al. (2019) read attention as kernel regression: to predict a value at query $q$, average
# the observed values $v_j$ with weights given by a similarity kernel between $q$ and the keys,
#
# $$ y(q) = \frac{\sum_j k(q, k_j)\, v_j}{\sum_j k(q, k_j)},
#    \qquad k(q, k) = \exp(q\cdot k/\sqrt d). $$
#
# The kernel need not be symmetric or positive definite. This is a loop over queries, one
# kernel evaluation at a time, with no matrix anywhere:


# %%
def kernel(q, k):
    return math.exp(float(q @ k) / math.sqrt(d))


Y_smoother = torch.zeros(n, d)
for i in range(n):
    weights = [kernel(Q[i], K[j]) for j in range(n)]
    Y_smoother[i] = sum(w * V[j] for j, w in enumerate(weights)) / sum(weights)

# %% [markdown]
# ## Interpretation 3: one step of a modern Hopfield network
#
# Ramsauer et al. (2021) store patterns (here: the keys, as rows of $K$) in a continuous
# Hopfield network with energy
# $E(\xi) = -\beta^{-1}\log\sum_j e^{\beta\, k_j\cdot\xi} + \tfrac12\,\xi\cdot\xi + \mathrm{const}$.
# Its update rule, started at the state $\xi = q$, is
#
# $$ \xi^{\text{new}} = K^\top \mathrm{softmax}(\beta K \xi), $$
#
# a retrieval in key space. With $\beta = 1/\sqrt d$ the retrieval weights are exactly row $i$
# of $A$; reading out the value associated with each stored pattern ($V^\top p$ instead of
# $K^\top p$) is the attention output. We run one update per query, check that the energy
# does not increase, and read out values.

# %%
beta = 1 / math.sqrt(d)


def energy(xi):
    return float(-torch.logsumexp(beta * K @ xi, 0) / beta + 0.5 * xi @ xi)


Y_hopfield = torch.zeros(n, d)
energy_drops = []
for i in range(n):
    xi = Q[i]
    p = torch.softmax(beta * K @ xi, dim=0)  # retrieval weights over the stored patterns
    xi_new = K.T @ p  # the Hopfield update (a state in key space)
    energy_drops.append(energy(xi) - energy(xi_new))
    Y_hopfield[i] = V.T @ p  # the value associated with the retrieved mixture
print("energy decrease per query (must be >= 0):", [f"{e:.3f}" for e in energy_drops])

# %% [markdown]
# ## The three readings agree
#
# Four computations (the registry operator, the routing matrix, the kernel smoother, the
# Hopfield update) give the same outputs to float64 precision. This is the check the note's
# appendix points to.

# %%
readings = {"routing matrix": Y_routing, "kernel smoother": Y_smoother, "Hopfield step": Y_hopfield}
for name, Y in readings.items():
    gap = float((Y - Y_reference).abs().max())
    print(f"{name:>16}: max |Y - Y_operator| = {gap:.2e}")
    assert gap < 1e-12, name
print("all three interpretations agree with anatomy.core.operators['softmax']")

# %% [markdown]
# ## What softmax constrains, on this example
#
# Every reading above needs the weights of a row to be positive and to sum to one: the
# smoother divides by a sum of positive kernel values, the Hopfield retrieval is a softmax.
# So each output $y_i$ lies inside the convex hull of the values, no token is ever routed
# exactly zero weight, and adding a constant to a row of scores changes nothing.

# %%
shift = torch.randn(n, 1, generator=generator)
print(
    "invariance to a constant per row:", float((torch.softmax(scores + shift, 1) - A).abs().max())
)
print("exact zeros in A:", int((A == 0).sum()), "of", A.numel())

# %% [markdown]
# ## If softmax is replaced, what is left?
#
# Swap the normalizer and keep kernel and propagation. Sparsemax and 1.5-entmax still give
# row-stochastic matrices, so the *routing* reading survives (a mixture of values, now with exact
# zeros), but there is no fixed kernel $k$ whose ratio $k/\sum k$ they equal, so the smoother
# and Hopfield readings are lost. Sigmoid weights do not sum to one: the output leaves the
# convex hull, and only "a weighted sum of values along a dynamic graph" remains. Hardmax keeps
# one edge per row: a hard pointer, the primitive that programs such as RASP assume.

# %%
for name in operators.names():
    W = operators.get(name).weights(Q, K)
    print(
        f"{name:>9}: rows sum to {float(W.sum(1).min()):.3f}..{float(W.sum(1).max()):.3f}, "
        f"exact zeros {int((W == 0).sum()):2d}/{W.numel()}, "
        f"largest weight {float(W.max()):.3f}"
    )

# %% [markdown]
# Where does a sparse normalizer start to point? Put one score $\Delta$ above $n-1$ equal
# others and sweep $\Delta$: sparsemax gives the target all the weight from $\Delta = 1$ on,
# 1.5-entmax from $\Delta = 2$ on, at any $n$ (the thresholds Martins & Astudillo and Peters et
# al. derive, found here on a grid); softmax never does, and its weight at a fixed gap decays
# like $1/n$. The note's gap sweep (`softmax_constraints.gap`) does this with noisy
# distractors too, and its reproduction table holds the thresholds to one grid step.

# %%
grid = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
names = ["softmax", "sparsemax", "entmax15"]
sweep = softmax_constraints.gap_sweep(names, [16, 1024], grid, [0.0], 1, 0)
for name in names[1:]:
    threshold = softmax_constraints.support_threshold(sweep, name).to_dict()
    print(name, "full weight from gap", threshold)
print(
    "softmax at gap 2:",
    sweep[(sweep.normalizer == "softmax") & (sweep.gap == 2.0) & (sweep.metric == "target_weight")]
    .groupby("n")
    .value.mean()
    .round(4)
    .to_dict(),
)

# %% [markdown]
# ## The Hopfield temperature
#
# In the Hopfield reading $\beta$ chooses between retrieving the average of all stored patterns
# (small $\beta$), metastable mixtures, and a single pattern (large $\beta$). The effective
# number of retrieved patterns, $\exp H(p)$, makes that visible for the first query; softmax
# attention fixes $\beta = 1/\sqrt d$ and lets the learned scale of $q$ and $k$ choose the regime.

# %%
betas = torch.logspace(-2, 2, 41)
effective = []
for b in betas:
    p = torch.softmax(b * K @ Q[0], dim=0)
    effective.append(float(torch.exp(-(p * torch.log(p)).sum())))
fig, ax = plt.subplots(figsize=(4, 2.6))
ax.semilogx(betas, effective)
ax.axvline(beta, color="k", ls="--", lw=1, label=r"$\beta = 1/\sqrt{d}$")
ax.set(xlabel=r"$\beta$", ylabel=r"$\exp H(p)$", title="patterns retrieved by query 0")
ax.legend()
plt.show()
