"""The house of docs/architecture.md is the house of the code: every module of the library sits
in a room (its subpackage) and has a row in the table there, and no import crosses a wall the
page says it may not."""

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "src/anatomy"
DOC = ROOT / "docs/architecture.md"
SHARED = ("core", "report")  # rooms that import only core (and themselves)
EXPERIMENT_HOOKS = {"pipeline.runtime", "pipeline.config"}  # pipeline an experiment may call
# experiment -> other experiment, each said in the doc
CROSSINGS = {("zoo.measurements", "expressivity.parity")}
MAX_DEPTH = 5
TYPE_CHECKING = ("TYPE_CHECKING", "typing.TYPE_CHECKING")  # imports for type checkers alone


def room(module: str) -> str:
    """A module's room is its subpackage: ``vit.maps`` lives in ``vit``."""
    return module.split(".")[0]


def described() -> dict[str, str]:
    """The table of modules in docs/architecture.md: module -> its room as the page says."""
    rows = re.findall(r"^\| `([\w.]+)` \| (\w+) \|", DOC.read_text(), flags=re.MULTILINE)
    return dict(rows)


def modules() -> list[str]:
    files = LIBRARY.glob("*/*.py")
    return sorted(f"{p.parent.name}.{p.stem}" for p in files if p.stem != "__init__")


def imports(module: str) -> set[str]:
    """The library modules ``module`` imports when it runs, at the top or inside a function
    (an import for type checkers alone, under ``if TYPE_CHECKING:``, is not one)."""
    tree = ast.parse(LIBRARY.joinpath(*module.split(".")).with_suffix(".py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in TYPE_CHECKING:
            node.body = []
    known = set(modules())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("anatomy."):
            named = node.module.removeprefix("anatomy.")
            found |= {f"{named}.{a.name}" for a in node.names} | {named}
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("anatomy.") for a in node.names}
    return (found & known) - {module}


def graph() -> dict[str, set[str]]:
    return {m: imports(m) for m in modules()}


def allowed(source: str, target: str) -> bool:
    here, there = room(source), room(target)
    if here == "pipeline" or here == there:
        return True
    if here in SHARED:
        return there == "core"
    # an experiment
    return there == "core" or target in EXPERIMENT_HOOKS or (source, target) in CROSSINGS


def test_every_module_has_a_row_in_its_room_and_every_row_a_module():
    rows = described()
    assert set(modules()) - set(rows) == set(), "add these modules to docs/architecture.md"
    assert set(rows) - set(modules()) == set(), "docs/architecture.md names absent modules"
    assert {m: r for m, r in rows.items() if room(m) != r} == {}, "a row in the wrong room"


def test_no_import_crosses_a_wall():
    g = graph()
    crossing = sorted(f"{s} -> {t}" for s in g for t in g[s] if not allowed(s, t))
    assert crossing == []


def test_the_longest_chain_of_imports_is_short():
    g = graph()

    @functools.cache
    def depth(module: str) -> int:
        return 1 + max((depth(t) for t in g[module]), default=0)

    deepest = max(g, key=depth)
    assert depth(deepest) <= MAX_DEPTH, f"{deepest}: {depth(deepest)} modules deep"


def test_the_package_holds_only_rooms():
    """Every module sits in a room (a subpackage); the package's own ``__init__`` is empty
    of code, and so is every room's, so importing a room never pays for its modules."""
    assert sorted(p.name for p in LIBRARY.glob("*.py")) == ["__init__.py"]
    for init in LIBRARY.glob("**/__init__.py"):
        body = ast.parse(init.read_text()).body
        assert all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body)


def test_the_walls_catch_an_upward_import():
    assert not allowed("core.operators", "zoo.runs")  # core reaching into an experiment
    assert not allowed("equivalent_forms.message_passing", "zoo.runs")  # experiment to experiment
    assert not allowed("zoo.runs", "report.latex")  # an experiment into the report
    assert not allowed("report.latex", "zoo.runs")  # the report into an experiment
    assert not allowed("zoo.runs", "pipeline.gpus")  # an experiment into a pipeline internal
    assert allowed("zoo.runs", "pipeline.runtime") and allowed("pipeline.gpu_run", "zoo.runs")
    assert "core.operators" in imports("zoo.runs") or "core.model" in imports("zoo.runs")
