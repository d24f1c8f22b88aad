"""The house of docs/architecture.md is the house of the code: every module of the library sits
in a room of the table there, and no import crosses a wall the page says it may not."""

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "src/anatomy"
DOC = ROOT / "docs/architecture.md"
EXPERIMENT_HOOKS = {"runtime", "config"}  # pipeline modules an experiment may call
CROSSINGS = {("learnability", "parity")}  # experiment -> other experiment, each said in the doc
MAX_DEPTH = 5
TYPE_CHECKING = ("TYPE_CHECKING", "typing.TYPE_CHECKING")  # imports for type checkers alone


def rooms() -> dict[str, str]:
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \|", DOC.read_text(), flags=re.MULTILINE)
    return dict(rows)


def imports(module: str) -> set[str]:
    """The library modules ``module`` imports when it runs, at the top or inside a function
    (an import for type checkers alone, under ``if TYPE_CHECKING:``, is not one)."""
    tree = ast.parse((LIBRARY / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in TYPE_CHECKING:
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("anatomy"):
            if node.module == "anatomy":
                found |= {alias.name for alias in node.names}
            else:
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("anatomy.")}
    return found - {module}


def graph() -> dict[str, set[str]]:
    modules = sorted(p.stem for p in LIBRARY.glob("*.py") if p.stem != "__init__")
    return {m: imports(m) for m in modules}


def allowed(source: str, target: str, room: dict[str, str]) -> bool:
    here, there = room[source], room[target]
    if here == "pipeline" or here == there:
        return True
    if here in ("core", "report"):
        return there == "core"
    # an experiment
    return there == "core" or target in EXPERIMENT_HOOKS or (source, target) in CROSSINGS


def test_every_module_has_a_room_and_every_room_row_a_module():
    room = rooms()
    modules = set(graph())
    assert modules - set(room) == set(), "add these modules to docs/architecture.md"
    assert set(room) - modules == set(), "docs/architecture.md names modules that do not exist"


def test_no_import_crosses_a_wall():
    room, g = rooms(), graph()
    crossing = sorted(
        f"{s} ({room[s]}) -> {t} ({room[t]})" for s in g for t in g[s] if not allowed(s, t, room)
    )
    assert crossing == []


def test_the_longest_chain_of_imports_is_short():
    g = graph()

    @functools.cache
    def depth(module: str) -> int:
        return 1 + max((depth(t) for t in g[module]), default=0)

    deepest = max(g, key=depth)
    assert depth(deepest) <= MAX_DEPTH, f"{deepest}: {depth(deepest)} modules deep"


def test_the_walls_catch_an_upward_import():
    room = rooms()
    assert not allowed("operators", "zoo", room)  # core reaching into an experiment
    assert not allowed("message_passing", "zoo", room)  # one experiment into another
    assert not allowed("zoo", "latex", room)  # an experiment into the report
    assert not allowed("latex", "zoo", room)  # the report into an experiment
    assert allowed("zoo", "runtime", room) and allowed("measurements", "zoo", room)
