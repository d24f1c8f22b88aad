"""Which library files a pipeline script runs: derived from its imports, never typed by hand.

A rule lists these files as inputs, so editing a module reruns exactly the rules whose
scripts import it, directly or through other ``anatomy`` modules, and no other rule. Imports
are read from the source (``ast``) wherever they stand, inside functions too, so a lazily
imported module counts. A measurement that runs one function of a registry module depends
on that function's own imports (:func:`function_library`), not on the whole registry's.
Operator plugins (``ANATOMY_OPERATOR_PLUGINS``) are inputs of every rule that uses the
operator registry (:func:`plugin_files`).
"""

from __future__ import annotations

import ast
import importlib.util
import os
from functools import cache
from pathlib import Path

PACKAGE = "anatomy"


def module_file(module: str, package_dir: Path) -> Path | None:
    """The source file of ``module`` (dotted, relative to the package: ``core.operators``, or
    a subpackage such as ``core``, whose file is its ``__init__.py``); None if there is none."""
    base = package_dir.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imported_modules(tree: ast.AST, package_dir: Path) -> set[str]:
    """``anatomy`` modules and subpackages (dotted, relative to the package) named by the
    import statements anywhere in ``tree``."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] != PACKAGE:
                continue
            # importing ``anatomy.a.b`` runs ``anatomy/a/__init__.py`` and ``anatomy/a/b.py``
            for end in range(2, len(parts) + 1):
                module = ".".join(parts[1:end])
                if module_file(module, package_dir) is not None:
                    found.add(module)
    return found


@cache
def _direct(path: Path, package_dir: Path) -> frozenset[str]:
    return frozenset(_imported_modules(ast.parse(path.read_text()), package_dir))


def _closure(start: set[str], package_dir: Path, opaque: frozenset = frozenset()) -> set[str]:
    """``start`` and everything it imports; ``opaque`` modules count but are not followed."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        if module not in opaque:
            todo.extend(_direct(module_file(module, package_dir), package_dir) - seen)
    return seen


def _files(modules: set[str], package_dir: Path) -> list[str]:
    files = sorted({module_file(m, package_dir) for m in modules})
    if modules:
        files.insert(0, package_dir / "__init__.py")  # runs on every import of the package
    return [str(f) for f in files]


def library_modules(script: str | Path, package_dir: str | Path, registries=()) -> set[str]:
    """The ``anatomy`` modules a script (or notebook source) imports, transitively.
    ``registries`` are modules whose functions import what they use themselves (the script
    runs one of them, :func:`function_library`): counted, not followed."""
    package_dir = Path(package_dir)
    return _closure(set(_direct(Path(script), package_dir)), package_dir, frozenset(registries))


def script_library(script: str | Path, package_dir: str | Path, registries=()) -> list[str]:
    """The library files (paths as given by ``package_dir``) a script runs."""
    return _files(library_modules(script, package_dir, registries), Path(package_dir))


def function_library(module: str, function: str, package_dir: str | Path) -> list[str]:
    """The library files one function of ``module`` runs: the module itself, what its
    top-level code imports, and what the function body imports."""
    package_dir = Path(package_dir)
    path = module_file(module, package_dir)
    if path is None:
        raise KeyError(f"{package_dir} holds no module {module!r}")
    tree = ast.parse(path.read_text())
    top = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    body = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function
        ),
        None,
    )
    if body is None:
        raise KeyError(f"{path.name} defines no function {function!r}")
    start = _imported_modules(ast.Module(body=[*top, body], type_ignores=[]), package_dir)
    # The module's file itself, without the imports of its other functions.
    parents = {".".join(module.split(".")[:end]) for end in range(1, module.count(".") + 1)}
    return _files(_closure(start - {module}, package_dir) | {module} | parents, package_dir)


def plugin_files(environ=os.environ) -> list[str]:
    """Source files of the operator plugins named in ``ANATOMY_OPERATOR_PLUGINS``."""
    files = []
    for name in filter(
        None, (m.strip() for m in environ.get("ANATOMY_OPERATOR_PLUGINS", "").split(","))
    ):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            raise ModuleNotFoundError(
                f"ANATOMY_OPERATOR_PLUGINS names {name!r}, which is not importable "
                f"(put its folder on PYTHONPATH)"
            )
        files.append(spec.origin)
    return files


def with_plugins(files: list[str], environ=os.environ) -> list[str]:
    """``files`` plus the plugin files when they include the operator registry."""
    if any(Path(f).name == "operators.py" for f in files):
        return files + plugin_files(environ)
    return files
