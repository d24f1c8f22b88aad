"""The one training loop: values read from the device once per progress line, and a
non-finite loss still named at the step where it first appeared."""

import re

import pytest
import torch

from anatomy.core import training
from anatomy.core.training import Guard, NonFiniteTraining


def quadratic(nan_at=None):
    """One parameter, the loss ``(w - 3)^2`` (a NaN at step ``nan_at``), and its accuracy."""
    w = torch.nn.Parameter(torch.zeros(()))

    def batch_loss(step):
        loss = (w - 3.0) ** 2
        if step == nan_at:
            loss = loss * float("nan")
        return loss, {"accuracy": (w > 1.0).float()}

    return w, batch_loss


def run(batch_loss, w, steps=20, log_every=5, **kw):
    return training.fit(
        [w],
        batch_loss,
        steps=steps,
        learning_rate=0.2,
        warmup=1,
        guard=Guard("job", "some.learning_rate", 0.2),
        weight_decay=0.0,
        log_every=log_every,
        **kw,
    )


def test_the_loop_reads_the_device_once_per_progress_line(monkeypatch):
    reads = {"tolist": 0, "item": 0}
    for name in reads:
        original = getattr(torch.Tensor, name)

        def counted(self, *a, _name=name, _original=original, **k):
            reads[_name] += 1
            return _original(self, *a, **k)

        monkeypatch.setattr(torch.Tensor, name, counted)
    w, batch_loss = quadratic()
    history = run(batch_loss, w, steps=20, log_every=5)
    # Four lines: one read of the losses and one of the accuracies each, no per-step read.
    assert reads == {"tolist": 8, "item": 0}
    assert [h["step"] for h in history] == list(range(1, 21))
    # Each row holds that step's own values: the loss before the update, (w_t - 3)^2.
    assert history[0]["loss"] == pytest.approx(9.0) and history[0]["accuracy"] == 0.0
    assert history[-1]["loss"] < history[0]["loss"] and history[-1]["accuracy"] == 1.0


def test_a_non_finite_loss_names_its_first_step_not_the_check_that_saw_it():
    w, batch_loss = quadratic(nan_at=6)  # step 7 counted from 1; read at step 10
    with pytest.raises(NonFiniteTraining) as caught:
        run(batch_loss, w, steps=20, log_every=5)
    assert re.fullmatch(
        r"job: the loss is nan at step 7; lower some\.learning_rate \(now 0\.2\) .*",
        str(caught.value),
    )


def test_a_failing_hook_reports_the_non_finite_loss_that_caused_it():
    w, batch_loss = quadratic(nan_at=1)

    def save_snapshot(step):  # as a snapshot would: refuse non-finite weights
        if step == 3:
            training.check_finite({"w": w.detach()}, Guard("job", "some.learning_rate", 0.1))

    with pytest.raises(NonFiniteTraining, match="the loss is nan at step 2"):
        run(batch_loss, w, steps=20, log_every=10, after_step=save_snapshot)


def per_step_reference(params, batch_loss, steps, lr, seeds=None):
    """The loop as it was before it deferred its reads: every step's loss read at once."""
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0, fused=True)
    rates = training.schedule(optimizer, steps, 5)
    history = []
    for step in range(steps):
        loss, extras = batch_loss(step)
        values = [loss.item()] if seeds is None else loss.tolist()
        optimizer.zero_grad(set_to_none=True)
        if seeds is None:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
        else:
            loss.sum().backward()
            training.clip_per_seed(params, 1.0)
        optimizer.step()
        rates.step()
        extras = {k: float(v) for k, v in extras.items()}
        history.append({"step": step + 1, "loss": values if seeds else values[0], **extras})
    return history


@pytest.mark.parametrize("seeds", [None, [0, 1, 2]])
def test_deferred_reads_train_bit_for_bit_as_reading_every_step(seeds):
    def problem():
        g = torch.Generator().manual_seed(0)
        shape = (3, 5, 4) if seeds else (5, 4)
        w = torch.nn.Parameter(torch.randn(shape, generator=g))
        data = torch.Generator().manual_seed(1)

        def batch_loss(step):
            x = torch.randn(8, 4, generator=data)
            out = (x @ w.transpose(-2, -1)).tanh()  # (S, 8, 5) or (8, 5)
            loss = ((out - 0.5) ** 2).mean(dim=(-2, -1))
            return loss, {"accuracy": (out > 0).float().mean()}

        return w, batch_loss

    w_ref, loss_ref = problem()
    expected = per_step_reference([w_ref], loss_ref, 23, 0.05, seeds)
    w, batch_loss = problem()
    got = training.fit(
        [w],
        batch_loss,
        steps=23,
        learning_rate=0.05,
        warmup=5,
        guard=Guard("job", "x", 0.05),
        weight_decay=0.0,
        log_every=10,
        seeds=seeds,
    )
    assert got == expected
    assert torch.equal(w, w_ref)


def test_any_failure_after_a_non_finite_loss_reports_the_loss():
    w, quadratic_loss = quadratic(nan_at=2)

    def batch_loss(step):
        if step == 5:
            raise RuntimeError("a kernel failed on NaN weights")
        return quadratic_loss(step)

    with pytest.raises(NonFiniteTraining, match="the loss is nan at step 3"):
        run(batch_loss, w, steps=20, log_every=10)


def test_a_hook_that_writes_weights_runs_only_after_every_loss_so_far_is_checked():
    # An infinite loss whose gradient clips to nothing leaves the weights finite, so only the
    # loss check can stop the snapshot.
    w = torch.nn.Parameter(torch.zeros(()))

    def batch_loss(step):
        loss = (w - 3.0) ** 2
        return (loss + float("inf") if step == 1 else loss), {}

    written = []
    with pytest.raises(NonFiniteTraining, match="the loss is inf at step 2"):
        run(batch_loss, w, steps=20, log_every=10, after_step=written.append, checked_before={4})
    assert written == [0, 1, 2]  # the hook of step 4 (index 3) never ran


@pytest.mark.parametrize(("steps", "warmup"), [(100, 10), (7, 1), (20, 3)])
def test_the_learning_rate_rises_linearly_then_falls_on_a_cosine_to_zero(steps, warmup):
    """The library's schedulers give, at step s (from 0), (s + 1) / warmup of the peak during
    the warm-up (no step at rate 0) and then peak * (1 + cos(pi (s - warmup) / (steps -
    warmup))) / 2: the peak at the end of the warm-up, half of it half-way down, 0 beyond
    the last step."""
    import math

    peak = 0.3
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=peak)
    rates = training.schedule(optimizer, steps, warmup)
    seen = []
    for _ in range(steps + 1):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        rates.step()
    for s, lr in enumerate(seen):
        expected = (
            peak * (s + 1) / warmup
            if s < warmup
            else peak * 0.5 * (1 + math.cos(math.pi * (s - warmup) / (steps - warmup)))
        )
        assert lr == pytest.approx(expected, rel=1e-9, abs=1e-15), s
    assert seen[warmup] == pytest.approx(peak) and min(seen[:steps]) > 0
    assert seen[steps] == pytest.approx(0.0, abs=1e-15)


def test_the_ema_is_the_moving_average_of_the_trained_weights_step_by_step():
    """W_ema(0) is the copy made before training; after each optimizer step
    W_ema <- decay W_ema + (1 - decay) W: checked against that recurrence computed from the
    weights the hook sees after each step."""
    import copy

    torch.manual_seed(0)
    live = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Linear(7, 3))
    averaged = copy.deepcopy(live)
    x, y = torch.randn(16, 5), torch.randn(16, 3)
    expected = [p.detach().clone() for p in averaged.parameters()]
    seen = []

    def after_step(step):
        for e, p in zip(expected, live.parameters(), strict=True):
            e.mul_(0.8).add_(0.2 * p.detach())
        seen.append([p.detach().clone() for p in averaged.parameters()])

    def train(ema_params, **kw):
        return training.fit(
            live.parameters(),
            lambda step: (((live(x) - y) ** 2).mean(), {}),
            steps=4,
            learning_rate=0.1,
            warmup=1,
            guard=Guard("job", "x", 0.1),
            weight_decay=0.0,
            log_every=2,
            ema=training.EMA(ema_params, 0.8),
            **kw,
        )

    train(list(averaged.parameters()), after_step=after_step)
    assert len(seen) == 4
    for e, a, p in zip(expected, averaged.parameters(), live.parameters(), strict=True):
        assert torch.allclose(a, e, atol=1e-6) and not torch.allclose(a, p)
    with pytest.raises(ValueError, match="tensors"):
        train(list(averaged.parameters())[:2])
