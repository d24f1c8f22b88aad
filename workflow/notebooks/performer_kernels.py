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
# # Reading 3: the Performer and linear attention — is attention content-driven or kernel-driven?
#
# The Performer (Choromanski et al., "Rethinking Attention with Performers") rewrites softmax
# attention as a kernel smoother and approximates the kernel with random features:
#
# $$\mathrm{out}_i = \frac{\sum_j \kappa(q_i, k_j)\, v_j}{\sum_j \kappa(q_i, k_j)}, \qquad
#   \kappa(q, k) = \exp(q\cdot k/\sqrt d) \approx \phi(q)\cdot\phi(k).$$
#
# Once $\kappa$ factors through a finite feature map, the two sums can be computed in the other
# order, $\phi(q_i)^\top \big(\sum_j \phi(k_j) v_j^\top\big)$, in time linear in $n$. The
# question this reading raises for the note: if softmax is only one kernel, is what attention
# does decided by the **content** (which keys match) or by the **kernel** (what shape of
# weights the kernel can draw)? This notebook works through the estimator, its error, where it
# fails, and what a linear kernel can store; the section "Equivalent forms" has the sweeps.

# %%
import math
import os

import matplotlib.pyplot as plt
import torch

from anatomy.core import operators
from anatomy.core import random_features as rf
from anatomy.equivalent_forms import linear_kernels as lk

torch.set_num_threads(int(os.environ.get("ANATOMY_THREADS", "1")))
g = torch.Generator().manual_seed(0)

# %% [markdown]
# ## Three unbiased estimators of exp(x·y)
#
# With $w \sim N(0, I_d)$, $E[\exp(w\cdot z)] = \exp(|z|^2/2)$. Multiplying by the right
# constants gives three unbiased estimators of $\exp(x\cdot y)$: *positive*
# ($\exp(w\cdot x - |x|^2/2)\exp(w\cdot y - |y|^2/2)$), *trigonometric* (through
# $\cos(w\cdot(x-y))$) and *hyperbolic* (through $\cosh(w\cdot(x+y))$). Averaged over many
# draws, each returns the kernel:

# %%
x, y = lk.on_sphere(1, 16, 1.0, g)[0], lk.on_sphere(1, 16, 1.0, g)[0]
truth = math.exp(float(x @ y))
w = rf.draw_projections(2000, 8, 16, "iid", g)
for kind in rf.FEATURES:
    est = rf.kernel_estimate(x, y, w, kind)
    print(
        f"{kind:>10}: mean {float(est.mean()):.4f} ± {float(est.std() / math.sqrt(len(est))):.4f}"
        f"   (exp(x.y) = {truth:.4f})"
    )

# %% [markdown]
# ## Their error, against the Performer's closed form
#
# The variance of one draw is known in closed form (the Performer's Lemma 2). The positive
# estimator's error grows with $|x + y|$, the trigonometric one's where the kernel value is
# small, i.e. where $x\cdot y$ is negative: exactly the entries of an attention row that
# should be near zero. That is why FAVOR+ uses positive features.

# %%
far = -x  # x.y = -|x|^2: the kernel is small here
for kind in rf.FEATURES:
    near_mse = float(rf.closed_form_mse(x, x, 16, kind)) / math.exp(float(x @ x)) ** 2
    far_mse = float(rf.closed_form_mse(x, far, 16, kind)) / math.exp(float(x @ far)) ** 2
    print(f"{kind:>10}: relative MSE at m=16, similar {near_mse:8.3f}, opposite {far_mse:10.3f}")

# %% [markdown]
# The MSE falls like $1/m$, and orthogonal directions lower it further:

# %%
table = lk.mse_sweep(16, 1.0, 16, 256, [4, 16, 64, 256], 0)
fig, ax = plt.subplots(figsize=(4.5, 3))
for (kind, draw), sub in table.groupby(["features", "draw"]):
    ax.loglog(
        sub.m, sub.mse, marker="o", ls="-" if draw == "iid" else "--", label=f"{kind}, {draw}"
    )
ax.set(xlabel="m", ylabel="MSE")
ax.legend(fontsize=6)
plt.show()

# %% [markdown]
# ## The kernel is estimated well; attention is not, where it is sharp
#
# Attention normalizes each row, so what matters is the error of the *weights*. Sweeping the
# inverse temperature moves the exact rows from flat to spiky. With the same $m$, the error is
# small for flat rows and large for spiky ones: the variance grows like $\exp(|q + k|^2)$, so a
# row that puts all its mass on one key needs exponentially many features.

# %%
err = lk.attention_error_sweep(32, 16, [16, 256], [0.25, 1.0, 4.0], 4, 0)
print(err[err.draw == "orthogonal"][["beta", "m", "entropy", "weight_tv"]].to_string(index=False))

# %% [markdown]
# ## What a linear kernel keeps of softmax
#
# Two properties make softmax rows useful for picking a token: they can be **spiky** (low
# entropy) and they are **monotone** in $q\cdot k$ (a better match never gets less weight).
# Linear kernels keep neither fully:

# %%
spiky = lk.spikiness_table(["softmax", "linear_elu", "linear_relu", "favor", "poly2"], 64, 16, 8, 0)
print(spiky[["operator", "entropy", "max_weight", "spearman"]].to_string(index=False))

# %% [markdown]
# ## Capacity: a d x d state against the whole sequence
#
# Linear attention's memory is the matrix $S = \sum_j \phi(k_j) v_j^\top$: it can hold about as
# many associations as $\phi$ has dimensions (Schlag et al.). Softmax keeps every key. Store
# $N$ random pairs and read them back with their own keys:

# %%
cap = lk.capacity_sweep(32, [4, 16, 64, 256], [32], 4, 0)
print(cap.pivot(index="pairs", columns="kernel", values="loss").round(3).to_string())

# %% [markdown]
# ## So: content or kernel?
#
# The content decides *which* keys match; the kernel decides *what kind of row* can express
# that match. A positive random-feature kernel reproduces the soft, averaging behaviour of
# softmax at a linear cost, and loses the sharp, one-token rows, and with them the capacity to
# store and retrieve many associations. A trained model with a linear kernel is therefore not
# a faster softmax model: it is a model with a different, flatter prior. The registry's
# `favor` operator uses exactly these features:

# %%
favor = operators.get("favor")
q, k = torch.randn(6, 16, generator=g), torch.randn(6, 16, generator=g)
print(favor.weights(q, k).sum(-1))  # rows sum to one, like softmax
