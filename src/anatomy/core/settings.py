"""A config block as frozen dataclasses, made once at a job's boundary.

An experiment with typed settings declares one dataclass for its block, whose fields are all
optional (a job receives only the parts its rule passes, so that it reruns only when those
change: the others are ``None``), and one dataclass per nested part (``data``, ``model``,
``training``, ...). :func:`typed` fills them from the block: lists become tuples (a field that
holds a mapping, such as the zoo's ``per_task``, stays a dict), and a key the block should not
hold is refused there, by name, rather than read as a silent default somewhere below.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, ClassVar


class Typed:
    """A settings dataclass whose ``of(block)`` fills it through :func:`typed`: ``parts`` names
    the fields that are dataclasses of their own, ``label`` the block in error messages."""

    label: ClassVar[str] = "settings"
    parts: ClassVar[dict[str, type]] = {}

    @classmethod
    def of(cls, block: dict[str, Any]):
        """The block, or the part of it a job receives, as this class (lists become tuples);
        an unknown key raises ``TypeError`` naming it."""
        return typed(cls, cls.parts, block, cls.label)


def typed(cls: type, parts: dict[str, type], block: dict[str, Any], label: str):
    """``block`` as ``cls``, each key named in ``parts`` as its own dataclass; an unknown key
    raises ``TypeError`` naming it (``<label> settings: unknown key ...``)."""
    _refuse_unknown(cls, block, label, "{key!r}")
    return cls(**{key: _part(parts, key, value, label) for key, value in block.items()})


def _part(parts: dict[str, type], key: str, value: Any, label: str) -> Any:
    if value is None:
        return None
    if key in parts:
        part = parts[key]
        _refuse_unknown(part, value, label, f"{key}.{{key}}")
        return part(**{k: _frozen(v) for k, v in value.items()})
    return _frozen(value)


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _refuse_unknown(cls: type, block: dict[str, Any], label: str, shown: str) -> None:
    unknown = sorted(set(block) - {f.name for f in fields(cls)})
    if unknown:
        raise TypeError(f"{label} settings: unknown key " + shown.format(key=unknown[0]))
