"""Two builds of the note compared number by number: what a refactoring must leave unchanged.

Usage: ``python -m anatomy.pipeline.builds BUILD_A BUILD_B``: every generated macro, value, table
and result table of two checkouts that were built with the same profile, one line per file that
differs or exists in one build alone; exit status 1 when any does. With ``--macros``, also one
line per macro of the note whose typeset value changed (``\\name: old -> new``), the list a
change that is meant to move numbers reports. A result's metadata file
(``.json`` beside a table) is compared without what describes the run rather than its result (the
commit, the wall time). The provenance table names the commit and is left out. Timings measure the
machine: build B should reuse build A's speed tables, as ``.ci/run`` does (copy
``data/results/equivalent_forms/{speed,decoding}.*`` and touch them), or their numbers differ."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

GENERATED = (
    "paper/generated/macros",
    "paper/generated/values",
    "paper/generated/tables",
    "data/results",
)
SUFFIXES = (".tex", ".json", ".parquet", ".csv")
RUN_KEYS = frozenset({"git_commit", "wall_time_s"})  # about the run, not its result
LEFT_OUT = ("paper/generated/tables/provenance.tex",)  # names the commit


def generated_files(build: Path) -> set[str]:
    """The build's generated files, relative to it."""
    found = set()
    for folder in GENERATED:
        for path in (build / folder).rglob("*"):
            if path.is_file() and path.suffix in SUFFIXES:
                found.add(path.relative_to(build).as_posix())
    return found - set(LEFT_OUT)


def _without_run_keys(value):
    if isinstance(value, dict):
        return {k: _without_run_keys(v) for k, v in value.items() if k not in RUN_KEYS}
    if isinstance(value, list):
        return [_without_run_keys(v) for v in value]
    return value


def same(a: Path, b: Path) -> bool:
    """Whether two generated files hold the same result (bytes; JSON without run keys)."""
    if a.read_bytes() == b.read_bytes():
        return True
    if a.suffix == ".json":
        return _without_run_keys(json.loads(a.read_text())) == _without_run_keys(
            json.loads(b.read_text())
        )
    return False


def differences(a: str | Path, b: str | Path) -> list[str]:
    """One line per generated file that differs between builds ``a`` and ``b``."""
    a, b = Path(a), Path(b)
    files_a, files_b = generated_files(a), generated_files(b)
    lines = [f"only in {a}: {f}" for f in sorted(files_a - files_b)]
    lines += [f"only in {b}: {f}" for f in sorted(files_b - files_a)]
    lines += [f"differs: {f}" for f in sorted(files_a & files_b) if not same(a / f, b / f)]
    return lines


MACRO = re.compile(r"^\\newcommand\{\\(\w+)\}\{(.*)\}\s*$")


def macros(build: Path) -> dict[str, str]:
    """Every generated macro of a build: name -> its typeset value."""
    found = {}
    for path in sorted((build / "paper/generated/macros").glob("*.tex")):
        for line in path.read_text().splitlines():
            match = MACRO.match(line)
            if match:
                found[match.group(1)] = match.group(2)
    return found


def macro_changes(a: str | Path, b: str | Path) -> list[str]:
    """One line per macro whose typeset value differs between builds ``a`` and ``b`` (or that
    exists in one alone), in name order."""
    old, new = macros(Path(a)), macros(Path(b))
    missing = "(none)"
    return [
        f"\\{name}: {old.get(name, missing)} -> {new.get(name, missing)}"
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--macros", action="store_true", help="list each changed macro too")
    args = parser.parse_args(argv)
    lines = differences(args.a, args.b)
    for line in lines:
        print(line)
    compared = len(generated_files(args.a) & generated_files(args.b))
    print(f"{compared} generated files compared, {len(lines)} differ")
    if args.macros:
        changed = macro_changes(args.a, args.b)
        for line in changed:
            print(line)
        print(f"{len(macros(args.a))} macros in {args.a}, {len(changed)} changed")
    return 1 if lines else 0


if __name__ == "__main__":
    raise SystemExit(main())
