"""The one training loop of the pipeline (zoo, ViT, diffusion) and its guards.

Every model of the note is trained by :func:`fit`: the loss of one freshly drawn batch,
gradient clipping, AdamW's step, the learning rate's warm-up and cosine (the library's
schedulers), an optional moving average of the weights (the library's EMA), a per-step hook,
and at a fixed interval a plain-text progress line and the finite-loss guard (the values are
read from the device then, in one transfer, never once a step). A non-finite loss
stops the job with one line naming the job, the step and the setting to change; a checkpoint
is checked finite before it is written (:func:`check_finite`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

progress_log = logging.getLogger("anatomy.progress")


class NonFiniteTraining(FloatingPointError):
    """The loss or the weights became NaN or infinite; ``str()`` is one line naming the fix."""


def schedule(optimizer, steps: int, warmup: int):
    """The learning rate of every model of the note, from the library's schedulers: a linear
    warm-up to the optimizer's rate over ``warmup`` steps (``(step + 1) / warmup`` of it, so no
    step is taken at rate 0), then a cosine from that peak to 0 over the remaining steps.
    Call its ``step()`` after each optimizer step. ``warmup`` is taken between 1 and ``steps -
    1`` (the config refuses a warm-up as long as the run)."""
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

    warmup = max(1, min(warmup, steps - 1))
    rise = LinearLR(optimizer, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1)
    fall = CosineAnnealingLR(optimizer, T_max=max(1, steps - warmup), eta_min=0.0)
    return SequentialLR(optimizer, [rise, fall], milestones=[warmup])


@dataclass(frozen=True)
class EMA:
    """An exponential moving average of the trained parameters, kept in ``params``: the
    parameters of a copy of the model, in the same order. After each optimizer step,
    ``params <- decay * params + (1 - decay) * trained``, by the library's update
    (``torch.optim.swa_utils.get_ema_multi_avg_fn``)."""

    params: list
    decay: float


@dataclass(frozen=True)
class Guard:
    """What a failure message names: the job (``train_vit softmax_p4``) and the setting a
    user changes to recover (``vit.training.learning_rate``) with its current value."""

    job: str
    setting: str
    value: float

    def for_seed(self, seed) -> Guard:
        """The same guard for one seed of a stack (its messages name the seed)."""
        return Guard(f"{self.job} seed {seed}", self.setting, self.value)

    def message(self, what: str, step: int | None = None) -> str:
        at = f" at step {step}" if step is not None else ""
        return (
            f"{self.job}: {what}{at}; lower {self.setting} (now {self.value:g}) "
            f"in the config or with --config"
        )


def check_loss(loss: float, step: int, guard: Guard) -> None:
    if not math.isfinite(loss):
        raise NonFiniteTraining(guard.message(f"the loss is {loss}", step))


def check_finite(tensors: dict, guard: Guard) -> None:
    """Refuse to save weights that hold a NaN or an infinity (before any file is written)."""
    import torch

    bad = [
        name
        for name, value in tensors.items()
        if torch.is_tensor(value) and value.is_floating_point() and not torch.isfinite(value).all()
    ]
    if bad:
        raise NonFiniteTraining(
            guard.message(f"{len(bad)} weight tensors are not finite (first: {bad[0]})")
        )


class Progress:
    """Plain-text progress lines (no carriage returns) every ``every`` steps and at the end:
    ``<job>: step 200/1500 loss 0.4312 accuracy 0.812 (14.2 steps/s, 1m32s left)``; the
    values are means over the steps since the last line."""

    def __init__(self, job: str, steps: int, every: int):
        self.job, self.steps, self.every = job, steps, max(1, int(every))
        self.started = time.perf_counter()
        self.window: list[dict] = []

    def update(self, step: int, values: dict) -> None:
        """``step`` counts from 1."""
        self.window.append(values)
        if step % self.every and step != self.steps:
            return
        means = {k: sum(v[k] for v in self.window) / len(self.window) for k in self.window[0]}
        self.window = []
        elapsed = time.perf_counter() - self.started
        rate = step / elapsed if elapsed > 0 else float("inf")
        left = (self.steps - step) / rate if rate > 0 else 0.0
        shown = " ".join(
            f"{k} {v:.4f}" if k == "loss" else f"{k} {v:.3f}" for k, v in means.items()
        )
        progress_log.info(
            "%s: step %d/%d %s (%.1f steps/s, %s left)",
            self.job,
            step,
            self.steps,
            shown,
            rate,
            _duration(left),
        )


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def fit(
    params: Iterable,
    batch_loss: Callable[[int], tuple],
    *,
    steps: int,
    learning_rate: float,
    warmup: int,
    guard: Guard,
    weight_decay: float,
    log_every: int,
    clip: float = 1.0,
    ema: EMA | None = None,
    after_step: Callable[[int], None] | None = None,
    seeds: list | None = None,
    checked_before: Collection[int] = (),
) -> list[dict]:
    """Train with AdamW for ``steps`` steps; returns one history row per step.

    ``batch_loss(step)`` draws a batch and returns ``(loss, extras)``: the loss tensor and a
    dict of values recorded beside it (accuracy, say), each a float or a tensor of one value.
    The learning rate warms up to ``learning_rate`` over ``warmup`` steps and decays on a
    cosine (:func:`schedule`). ``ema`` keeps a moving average of the weights (:class:`EMA`),
    updated after each optimizer step; ``after_step(step)`` runs after that (a snapshot).

    Losses and extras stay on the model's device until a progress line is due (every
    ``log_every`` steps and at the end): they are then read in one transfer and checked, so a
    GPU is never made to wait for the host in between. A non-finite loss still stops the job
    naming the first step where it appeared; the steps after it, up to the check, are lost
    work, never saved work: ``checked_before`` lists the steps (counted from 1) whose hook
    writes weights (a snapshot), and every loss up to such a step is checked before the hook
    runs; and whatever fails, the losses not yet read are checked first, so a non-finite loss
    is named as the cause.

    ``seeds``: the parameters are a stack of independent models, one per seed along each
    tensor's first dimension (:class:`anatomy.core.model.StackedTransformer`), and the loss is one
    value per seed. Each seed is trained as it would be alone: the gradient of the summed loss
    is each seed's own gradient, AdamW works element by element, and the gradient norm is
    clipped per seed (:func:`clip_per_seed`). The history's ``loss`` is then a list, one per
    seed, and a non-finite loss names its seed.
    """
    import torch

    params = list(params)
    # The fused kernel updates every tensor in one call: 16% off a zoo step on the CPU
    # (python -m anatomy.pipeline.profiling), the same update up to float rounding.
    optimizer = torch.optim.AdamW(params, lr=learning_rate, weight_decay=weight_decay, fused=True)
    rates = schedule(optimizer, steps, warmup)
    if ema is not None:
        from torch.optim.swa_utils import get_ema_multi_avg_fn

        average = get_ema_multi_avg_fn(ema.decay)
        if len(ema.params) != len(params):
            raise ValueError(f"the EMA has {len(ema.params)} tensors, the model {len(params)}")
    progress = Progress(guard.job, steps, log_every)
    history: list[dict] = []
    pending: list[tuple[Any, dict]] = []  # (loss, extras) of the steps not yet read

    def read_pending() -> None:
        """Read the pending steps' values in one transfer, check them, log and record them."""
        if not pending:
            return
        first = len(history) + 1
        losses = torch.stack([loss.reshape(-1) for loss, _ in pending]).tolist()
        extras = _read_extras([e for _, e in pending])
        pending.clear()
        for offset, (values, extra) in enumerate(zip(losses, extras, strict=True)):
            step = first + offset
            for value, seed in zip(values, seeds or [None], strict=True):
                check_loss(value, step, guard if seed is None else guard.for_seed(seed))
            history.append({"step": step, "loss": values if seeds else values[0], **extra})
            progress.update(step, {"loss": sum(values) / len(values), **extra})

    try:
        for step in range(steps):
            loss, extras = batch_loss(step)
            pending.append((loss.detach(), _detached(extras)))
            optimizer.zero_grad(set_to_none=True)
            if seeds is None:
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, clip)
            else:
                loss.sum().backward()
                clip_per_seed(params, clip)
            optimizer.step()
            rates.step()
            if ema is not None:
                average(ema.params, params, step)
            if step + 1 in checked_before:
                read_pending()  # the hook writes weights: every loss so far is checked first
            if after_step is not None:
                after_step(step)
            if (step + 1) % progress.every == 0 or step + 1 == steps:
                read_pending()
    except BaseException:
        # Whatever failed, a non-finite loss before it is the likely cause: name that first.
        read_pending()
        raise
    return history


def _detached(extras: dict) -> dict:
    return {k: v.detach() if hasattr(v, "detach") else v for k, v in extras.items()}


def _read_extras(rows: list[dict]) -> list[dict]:
    """Each row's extras as floats, every tensor-valued key read in one transfer."""
    import torch

    out = [dict(row) for row in rows]
    keys = {k for row in rows for k, v in row.items() if torch.is_tensor(v)}
    for key in sorted(keys):
        places = [i for i, row in enumerate(rows) if torch.is_tensor(row.get(key))]
        values = torch.stack([rows[i][key].reshape(()) for i in places]).tolist()
        for i, value in zip(places, values, strict=True):
            out[i][key] = value
    return out


def clip_per_seed(params: list, max_norm: float) -> None:
    """``torch.nn.utils.clip_grad_norm_`` applied to each seed of a stack on its own: the
    gradient slices ``[s]`` of every tensor are one seed's gradient, whose total 2-norm is
    brought down to ``max_norm`` when larger (the same coefficient, ``max_norm / (norm +
    1e-6)`` clamped at 1, as the library's)."""
    import torch

    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads], 1)  # (seeds, tensors)
    coef = (max_norm / (norms.norm(dim=1) + 1e-6)).clamp(max=1.0)  # (seeds,)
    for g in grads:
        g.mul_(coef.view(-1, *([1] * (g.dim() - 1))))
