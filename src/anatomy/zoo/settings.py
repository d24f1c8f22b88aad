"""The zoo's settings (the config's ``zoo`` block) as frozen dataclasses.

Each job turns the part of the block it receives into typed settings once, at its boundary: a
training job its task's :class:`Training` (:meth:`Training.of` of the block its rule passes, the
shared values with the task's own ``per_task`` entries already merged in by the rule; the same
merge in the library is :meth:`Training.for_task`), an evaluation job its
:class:`Evaluation`, the learnability measurement and the macros their :class:`ZooSettings`
(:meth:`ZooSettings.of`). The library's functions then take the fields they use. A key the
block should not hold is refused there, by name (:func:`anatomy.core.settings.typed`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from anatomy.core.settings import Typed


@dataclass(frozen=True)
class Training(Typed):
    """The tiny transformer (``d_model``, ``heads``, ``layers``; ``positions``: ``task`` as
    the task says, ``always`` or ``never``) and its optimisation. ``per_task``: a task's own
    values of these keys (say, more steps), by task name."""

    d_model: int
    heads: int
    layers: int
    steps: int
    batch: int
    learning_rate: float
    log_every: int
    positions: str = "task"
    per_task: dict[str, dict[str, Any]] | None = None
    label = "zoo.training"

    def for_task(self, task: str) -> Training:
        """The settings one task trains with: its ``per_task`` entry over the shared ones."""
        own = (self.per_task or {}).get(task, {})
        return replace(self, **own, per_task=None)


@dataclass(frozen=True)
class Evaluation(Typed):
    """Test sizes up to ``length_factor`` times the training length, ``sizes`` of them, and
    ``samples`` test strings per size and seed."""

    length_factor: int
    sizes: int
    samples: int
    label = "zoo.evaluation"


@dataclass(frozen=True)
class Learnability:
    """PARITY trained at one fixed length at a time: the ``operator``, the ``lengths``, its
    ``steps`` and ``batch`` (the rest of the training settings are the zoo's), ``samples`` test
    strings, and the verdict's rule fixed before the run (``learned``, ``failed``,
    ``margin_ratio``)."""

    operator: str
    lengths: tuple[int, ...]
    steps: int
    batch: int
    samples: int
    learned: float
    failed: float
    margin_ratio: float


PARTS = {"training": Training, "evaluation": Evaluation, "learnability": Learnability}


@dataclass(frozen=True)
class ZooSettings(Typed):
    label = "zoo"
    parts = PARTS

    operators: tuple[str, ...] | str | None = None  # names, or "all" the registry holds
    tasks: tuple[str, ...] | None = None
    seeds: tuple[int, ...] | None = None
    training: Training | None = None
    evaluation: Evaluation | None = None
    learnability: Learnability | None = None
