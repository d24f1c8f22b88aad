"""The zoo's measurement for the generic rule ``measure_<name>``, in the one measurement
protocol (:mod:`anatomy.core.measurement`): PARITY learnability against a fixed length, beside
the exact construction's margin there. The zoo's own models are trained and evaluated by its
training and evaluation rules; this measurement trains its models inside the job, since each is
trained for one length and read once. Its subject is the device; it receives the zoo's typed
settings (:class:`anatomy.zoo.settings.ZooSettings`: the seeds, the training block and the
learnability block).

Two explanations compete for why trained transformers fail at PARITY. The margin story: an
exact solution exists at every length (:mod:`anatomy.expressivity.parity`), but its decision margin
shrinks like 1/n^2, so gradient descent sees an ever flatter loss. The optimisation story (Hahn &
Rofin 2024): sensitive functions sit in sharp minima that training rarely finds, so learning fails
abruptly at lengths where the margin is still comfortable. Training the zoo's model at one fixed
length n at a time, with the seeds of a length stacked, separates them: the margin story predicts
accuracy falling in step with the margin; the optimisation story a collapse between two lengths
whose margins hardly differ. The verdict applies a rule fixed in the config before the run
(:func:`anatomy.zoo.summary.parity_verdict`)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import torch

from anatomy.core.measurement import Measured, bench, by_name
from anatomy.expressivity import parity
from anatomy.zoo import runs as zoo
from anatomy.zoo.settings import Learnability, Training, ZooSettings
from anatomy.zoo.tasks import TASKS


def parity_at_fixed_length(
    n: int,
    operator: str,
    training: Training,
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
        task, operator, training, seeds, device, schedule_seed, job=f"parity at n = {n}"
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


def run(learn: Learnability, training: Training, seeds: list[int], device: str, seed: int = 0):
    """Every length ``learn`` names, trained with the zoo's ``training`` at its own steps and
    batch: one table of rows from :func:`parity_at_fixed_length`."""
    torch.manual_seed(seed)
    train = dataclasses.replace(training, steps=learn.steps, batch=learn.batch, per_task=None)
    rows = []
    for n in learn.lengths:
        rows += parity_at_fixed_length(n, learn.operator, train, seeds, learn.samples, device, seed)
    return pd.DataFrame(rows)


def parity_learnability(device: str, s: ZooSettings, seed: int) -> Measured:
    """Every length of ``s.learnability``, each of the zoo's seeds offset by the job's seed."""
    seeds = [seed + k for k in s.seeds]
    return Measured(run(s.learnability, s.training, seeds, device, seed))


load = bench
MEASUREMENTS = by_name(parity_learnability)
