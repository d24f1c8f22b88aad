"""PARITY learnability against a fixed length, beside the exact construction's margin there.

Two explanations compete for why trained transformers fail at PARITY. The margin story: an
exact solution exists at every length (:mod:`anatomy.expressivity.parity`), but its decision margin
shrinks like 1/n^2, so gradient descent sees an ever flatter loss. The optimisation story (Hahn &
Rofin 2024): sensitive functions sit in sharp minima that training rarely finds, so learning fails
abruptly at lengths where the margin is still comfortable. Training the zoo's model at one fixed
length n at a time, with the seeds of a length stacked, separates them: the margin story predicts
accuracy falling in step with the margin; the optimisation story a collapse between two lengths
whose margins hardly differ. :func:`verdict` applies a rule fixed in the config before the run
(:func:`anatomy.zoo.summary.parity_verdict`)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import torch

from anatomy.expressivity import parity
from anatomy.zoo import runs as zoo
from anatomy.zoo.tasks import TASKS


def parity_at_fixed_length(
    n: int,
    operator: str,
    settings: dict,
    seeds: list[int],
    samples: int,
    device: str,
    schedule_seed: int = 0,
) -> list[dict]:
    """Train PARITY at length ``n`` only (one model per seed, stacked), then measure each on
    ``samples`` fresh strings of length ``n``; rows ``{n, seed, accuracy, loss, margin}``, where
    ``margin`` is the exact construction's smallest |logit| at ``n`` on the same number of
    strings."""
    task = dataclasses.replace(TASKS["parity"], train_sizes=(n, n))
    trained = zoo.train(
        task, operator, settings, seeds, device, schedule_seed, job=f"parity at n = {n}"
    )
    margin = parity.evaluate(n, samples, seed=schedule_seed + n)["margin"]
    rows = []
    for seed, (model, history) in zip(seeds, trained, strict=True):
        measured = zoo.measure(model.eval(), task, n, samples, 10_000 + seed, device)
        rows.append(
            {
                "n": n,
                "operator": operator,
                "seed": seed,
                "accuracy": measured["accuracy"],
                "loss": float(history[-1]["loss"]),
                "margin": margin,
            }
        )
    return rows


def run(settings: dict, training: dict, seeds: list[int], device: str, seed: int = 0):
    """Every configured length: one table of rows from :func:`parity_at_fixed_length`."""
    torch.manual_seed(seed)
    train = dict(training, steps=settings["steps"], batch=settings["batch"])
    rows = []
    for n in settings["lengths"]:
        rows += parity_at_fixed_length(
            n, settings["operator"], train, seeds, settings["samples"], device, seed
        )
    return pd.DataFrame(rows)
