"""The operator zoo: train a tiny transformer per (operator, task, seed), then measure it.

Training and evaluation are separate steps with a checkpoint between them, so a new metric
reruns no training. Metrics per (operator, task, size): accuracy, cross-entropy in bits,
last-layer attention entropy (and divided by log n), weight on the correct source token,
fraction of exact zeros, sensitivity to one flipped input token (n |dp|), and the final
layer's relative rank residual.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import torch

from anatomy.core import training
from anatomy.core.artifacts import load_torch
from anatomy.core.model import ModelConfig, StackedTransformer, TinyTransformer
from anatomy.core.operators import Softmax, row_change, row_entropy
from anatomy.core.operators import get as get_operator
from anatomy.pipeline.runtime import grouped
from anatomy.zoo.settings import Training
from anatomy.zoo.tasks import IGNORE, TASKS, Task, majority


def build_model(task: Task, operator: str, training: Training) -> TinyTransformer:
    """A fresh model for ``task`` with ``operator`` in every layer, of the size ``training``
    names, with positions where its ``positions`` and the task say."""
    cfg = ModelConfig(
        vocab=task.vocab,
        classes=task.classes,
        operator=operator,
        d_model=training.d_model,
        heads=training.heads,
        layers=training.layers,
        positions={"task": task.positions, "always": True, "never": False}[training.positions],
        causal=task.causal,
    )
    return TinyTransformer(cfg)


def train(
    task_name: str | Task,
    operator: str,
    settings: Training,
    seeds: list[int],
    device: str,
    schedule_seed: int = 0,
    job: str = "",
) -> list[tuple[TinyTransformer, list[dict]]]:
    """Train one model per seed, all in one :class:`StackedTransformer`; returns ``(model,
    history)`` per seed, in the order of ``seeds``, with the loss every ``log_every`` steps.
    ``task_name`` names a task of :data:`TASKS`, or is a :class:`Task` (one with its own
    training range, say).

    Seed ``s`` sets its model's initialisation (``torch.manual_seed(s)``, as a model built
    alone) and its batches (a generator seeded with ``s``). The problem size of each step is
    drawn from the task's training range by one schedule shared by every seed
    (``schedule_seed``), so the seeds of a step have one sequence length and run as one batched
    model; a seed trained in a stack is the seed trained alone (tests/test_zoo.py). The learning
    rate warms up for 5% of the steps, then decays on a cosine (:func:`training.schedule`).
    """
    task = task_name if isinstance(task_name, Task) else TASKS[task_name]
    task_name = task.name
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(build_model(task, operator, settings))
    stack = StackedTransformer(models).to(device)
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    schedule = torch.Generator().manual_seed(schedule_seed)
    t = settings
    steps, lr = t.steps, t.learning_rate
    warmup = max(1, steps // 20)
    lo, hi = task.train_sizes

    def batch_loss(step):
        size = int(torch.randint(lo, hi + 1, (1,), generator=schedule))
        batches = [task.sample(t.batch, size, g) for g in generators]
        tokens = torch.stack([b.tokens for b in batches]).to(device)  # (S, B, L)
        targets = torch.stack([b.targets for b in batches]).to(device)
        logits = stack(tokens)  # (S, B, L, classes)
        return seed_losses(logits, targets), {}

    history = training.fit(
        stack.parameters(),
        batch_loss,
        steps=steps,
        learning_rate=lr,
        warmup=warmup,
        guard=training.Guard(
            job or f"train_zoo_model {task_name}/{operator}", "zoo.training.learning_rate", lr
        ),
        weight_decay=0.01,
        log_every=t.log_every,
        seeds=list(seeds),
    )
    every = t.log_every
    kept = [h for h in history if (h["step"] - 1) % every == 0 or h["step"] == steps]
    return [
        (model, [{"step": h["step"] - 1, "loss": h["loss"][i]} for h in kept])
        for i, model in enumerate(stack.unstack())
    ]


def seed_losses(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Each seed's mean cross-entropy over its predicted positions: ``logits (S, B, L, C)``,
    ``targets (S, B, L)`` with IGNORE where nothing is predicted -> ``(S,)``."""
    S = logits.shape[0]
    per_token = torch.nn.functional.cross_entropy(
        logits.flatten(0, 2), targets.flatten(), ignore_index=IGNORE, reduction="none"
    ).view(S, -1)
    counted = (targets != IGNORE).view(S, -1).sum(1).clamp_min(1)
    return per_token.sum(1) / counted


def by_operator(paths) -> dict[str, list[str]]:
    """Checkpoint paths (``.../<task>/<operator>/seed<N>.pt``) grouped by operator, in the
    order the paths first name each operator; within an operator, the paths' order."""
    return grouped(paths, lambda path: Path(path).parent.name)


def save_checkpoint(
    path: str | Path, model: TinyTransformer, task: str, history, meta: dict
) -> None:
    state = model.state_dict()
    lr = meta.get("settings", {}).get("learning_rate", math.nan)
    training.check_finite(
        state, training.Guard(f"zoo model {path}", "zoo.training.learning_rate", lr)
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "state_dict": state,
            "config": model.cfg.to_dict(),
            "task": task,
            "history": history,
            "meta": meta,
        },
        path,
    )


def load_checkpoint(path: str | Path, device: str = "cpu") -> tuple[TinyTransformer, dict]:
    blob = load_torch(path, map_location=device)
    model = TinyTransformer(ModelConfig(**blob["config"])).to(device)
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, blob


# ---- metrics ---------------------------------------------------------------------------------


@torch.no_grad()
def measure(
    model: TinyTransformer, task: Task, size: int, samples: int, seed: int, device: str
) -> dict:
    """Every metric for one trained model at one problem size."""
    g = torch.Generator().manual_seed(seed)
    batch = task.sample(samples, size, g)
    tokens, targets, source = (t.to(device) for t in (batch.tokens, batch.targets, batch.source))
    logits = model(tokens)
    rows = targets != IGNORE  # (B, L)
    logp = torch.log_softmax(logits.double(), -1)
    target_logp = logp.gather(-1, targets.clamp_min(0).unsqueeze(-1)).squeeze(-1)[rows]
    last = model.attention_weights()[-1]  # (B, h, L, L), float32: sums of at most L terms
    n_keys = last.shape[-1] if not task.causal else None
    ent = row_entropy(last)  # (B, h, L)
    if task.causal:  # position i sees i + 1 keys
        log_n = torch.log(torch.arange(1, last.shape[-1] + 1, device=device, dtype=torch.float64))
        norm_ent = (ent[..., 1:] / log_n[1:]).mean()
    else:
        norm_ent = ent.mean() / math.log(n_keys)
    hidden = model.last_hidden.double()  # (B, L, d)
    residual = (hidden - hidden.mean(1, keepdim=True)).flatten(1).norm(dim=1) / hidden.flatten(
        1
    ).norm(dim=1)

    out = {
        "accuracy": float((logits.argmax(-1)[rows] == targets[rows]).double().mean()),
        "cross_entropy_bits": float(-target_logp.mean() / math.log(2)),
        "attention_entropy": float(ent.mean()),
        "normalized_entropy": float(norm_ent),
        "exact_zero_fraction": float((last == 0).double().mean()),
        "rank_residual": float(residual.mean()),
        "sequence_length": int(tokens.shape[1]),
        "answers": int(rows.sum()),  # the predictions ``accuracy`` averages over
        # Baselines of these very samples, from their targets alone (no model): a uniform
        # guess, and always answering the most common class.
        "chance": 1.0 / task.classes,
        "majority": majority(targets, task.classes),
    }
    # Weight on the correct source token, averaged over heads, at rows that have one.
    has_source = source >= 0
    out["logit_gap"] = (
        logit_gap(last, source)
        if isinstance(get_operator(model.cfg.operator).normalizer, Softmax)
        else float("nan")
    )
    if has_source.any():
        w = last.mean(1)  # (B, L, L)
        on_target = w.gather(-1, source.clamp_min(0).unsqueeze(-1)).squeeze(-1)
        out["target_weight"] = float(on_target[has_source].mean())
    else:
        out["target_weight"] = float("nan")
    # Sensitivity: flip one random input token to another id; n * mean |dp| (total variation).
    flipped = tokens.clone()
    position = torch.randint(0, tokens.shape[1], (samples,), generator=g).to(device)
    shift = torch.randint(1, task.vocab, (samples,), generator=g).to(device)
    index = torch.arange(samples, device=device)
    flipped[index, position] = (flipped[index, position] + shift) % task.vocab
    p, p_flip = logp.exp(), torch.log_softmax(model(flipped).double(), -1).exp()
    out["sensitivity"] = flip_sensitivity(p[rows], p_flip[rows], tokens.shape[1])
    return out


def logit_gap(weights: torch.Tensor, source: torch.Tensor) -> float:
    """The logit gap of softmax attention, read off its weights: at each row with a known
    answer (``source >= 0``), ``log w[answer] - log max_{j != answer} w[j]``, which for softmax
    is the answer's score minus the best other score; taken in the head that puts the most
    weight on the answer, averaged over rows. ``weights (B, h, L, L)``, ``source (B, L)``.
    NaN when no row has an answer."""
    rows = source >= 0
    if not rows.any():
        return float("nan")
    index = source.clamp_min(0)[:, None, :, None].expand(-1, weights.shape[1], -1, 1)
    on_answer = weights.gather(-1, index).squeeze(-1)  # (B, h, L)
    others = weights.scatter(-1, index, float("-inf")).amax(-1)  # (B, h, L)
    tiny = torch.finfo(weights.dtype).tiny
    gap = torch.log(on_answer.clamp_min(tiny)) - torch.log(others.clamp_min(tiny))
    best = on_answer.argmax(1, keepdim=True)  # the head that reads the answer
    gap = gap.gather(1, best).squeeze(1)  # (B, L)
    return float(gap[rows].mean())


def flip_sensitivity(p: torch.Tensor, p_flip: torch.Tensor, n: int) -> float:
    """Hahn's sensitivity of a trained model: ``n`` times the mean total variation between
    the output distributions ``p`` and ``p_flip`` (``(rows, classes)``) before and after one
    input token is flipped. O(1) for a model whose output moves O(1/n) per flip."""
    tv = 0.5 * (p - p_flip).abs().sum(-1)
    return float(n * tv.mean())


def evaluate(checkpoint: str | Path, sizes, samples: int, seed: int, device: str) -> pd.DataFrame:
    """Long table: one row per (size, metric) for one checkpoint."""
    model, blob = load_checkpoint(checkpoint, device)
    task = TASKS[blob["task"]]
    lo, hi = task.train_sizes
    rows = []
    for size in sizes:
        for metric, value in measure(model, task, size, samples, seed + size, device).items():
            rows.append(
                {
                    "task": task.name,
                    "operator": model.cfg.operator,
                    "family": get_operator(model.cfg.operator).family,
                    "size": size,
                    "in_distribution": lo <= size <= hi,
                    "metric": metric,
                    "value": value,
                }
            )
    return pd.DataFrame(rows)


def zoo_adjacency(
    checkpoint, task_name: str, size: int, examples: int, seed: int, inputs: int = 0
) -> dict:
    """A trained zoo model's last-layer attention (mean over heads) on ``examples`` inputs:
    ``{"weights": (examples, L, L), "tokens": (examples, L), "source": (examples, L)}``, and,
    over ``inputs`` further inputs, ``row_change`` (:func:`anatomy.core.operators.row_change` per
    input pair, at the rows that hold a query). The equivalent-forms experiment's dynamic
    adjacency figure reads it."""
    model, blob = load_checkpoint(checkpoint)
    task = TASKS[task_name]
    batch = task.sample(examples, size, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        logits = model(batch.tokens)
    weights = model.attention_weights()[-1].mean(1)  # (examples, L, L)
    out = {
        "weights": weights,
        "tokens": batch.tokens,
        "source": batch.source,
        "correct": (logits.argmax(-1) == batch.targets) | (batch.targets < 0),
        "operator": blob["config"]["operator"],
        "seed": blob.get("meta", {}).get("seed"),
    }
    if inputs >= 2:
        many = task.sample(inputs, size, torch.Generator().manual_seed(seed + 1))
        with torch.no_grad():
            model(many.tokens)
        out["row_change"] = row_change(model.attention_weights()[-1].mean(1), many.source >= 0)
    return out
