"""The one measurement protocol of the note.

Each experiment declares its measurements in its own package, ``anatomy.<experiment>.
measurements``: a table ``MEASUREMENTS`` from name to function, every function of one
signature, and one function ``load`` that turns a job into what they measure::

    load(job: Job) -> Subject
    MEASUREMENTS[name](subject, settings, seed: int) -> Measured

The subject is what a job measures, loaded once per job: for the sections that build their own
inputs (softmax constraints, expressivity, equivalent forms, the zoo's PARITY learnability) the
device they run on (:func:`bench`); for the ViT its trained models and held-out images, or a
pretrained ViT and the user's images; for the diffusion section the probed text-to-image model.
A measurement returns its tidy table and the tensors its figure draws (none for most). Its
settings parameter is annotated with the settings class it reads (a frozen dataclass of
:mod:`anatomy.core.settings`: a section's ``Gap``, the ViT's whole ``ViTSettings``), and the
protocol makes that class from the block the job receives (:func:`settings_class`): every
measurement receives typed settings, converted in this one place. One script,
``workflow/scripts/run_measurement.py``, runs every one of them: it loads the subject, calls the
measurement and writes the table, the tensors and the metadata.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from anatomy.core.settings import Typed

if TYPE_CHECKING:
    import pandas as pd


class Measured(NamedTuple):
    """What a measurement returns: its tidy table and the tensors its figure draws."""

    table: pd.DataFrame
    tensors: dict = {}


@dataclass(frozen=True)
class Job:
    """What a measurement job hands its experiment's ``load``: the rule's input files by
    name (each a list of paths), its ``source`` (a model folder or a pretrained name, when the
    rule names one), the settings block, the job's seed and its device."""

    settings: dict
    seed: int = 0
    device: str = "cpu"
    inputs: dict[str, list[str]] = field(default_factory=dict)
    source: str | None = None


class Subject(NamedTuple):
    """What ``load`` returns: the subject every measurement of the experiment takes first, the
    seed its measurements draw from (the job's, or the job's plus the measured model's own
    training seed), and what the run's metadata records about it."""

    subject: Any
    seed: int
    meta: dict = {}


def by_name(*functions) -> dict:
    """A ``MEASUREMENTS`` table: each function under its own name."""
    return {f.__name__: f for f in functions}


def bench(job: Job) -> Subject:
    """The subject of a section whose measurements build their own inputs: the device."""
    return Subject(job.device, job.seed)


def settings_class(measurement) -> type[Typed]:
    """The settings class a measurement reads: the annotation of its second parameter, looked
    up by name in the module that defines it (annotations are postponed there). A measurement
    without one is refused here, by name, rather than handed the block."""
    parameter = list(inspect.signature(measurement).parameters.values())[1]
    kind = parameter.annotation
    if isinstance(kind, str):
        kind = measurement.__globals__.get(kind)
    if not (isinstance(kind, type) and issubclass(kind, Typed)):
        raise TypeError(
            f"measurement {measurement.__name__}: annotate its settings parameter "
            f"{parameter.name!r} with a settings class (anatomy.core.settings.Typed), "
            f"not {parameter.annotation!r}"
        )
    return kind


def run(registry, name: str, job: Job) -> tuple[Measured, dict]:
    """Measurement ``name`` of ``registry`` (an experiment's ``measurements`` module) on the
    subject its ``load`` makes of ``job``: the result and the metadata that describes it."""
    if name not in registry.MEASUREMENTS:
        known = ", ".join(sorted(registry.MEASUREMENTS))
        raise KeyError(f"{registry.__name__} declares no measurement {name!r} (it has: {known})")
    measurement = registry.MEASUREMENTS[name]
    settings = settings_class(measurement).of(job.settings)
    loaded = registry.load(job)
    table, tensors = measurement(loaded.subject, settings, loaded.seed)
    return Measured(table, tensors), {"rows": len(table), "measurement": name, **loaded.meta}
