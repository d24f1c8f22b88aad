"""Execute a literate notebook stored as text (jupytext percent format) into .ipynb and .html.

Usage: ``python -m anatomy.pipeline.notebooks SOURCE.py OUT.ipynb OUT.html --threads N``.
The kernel inherits ``OMP_NUM_THREADS`` so a notebook uses exactly its rule's threads.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

PLAIN_WARNINGS = """import warnings

warnings.formatwarning = lambda message, category, *where, **_: f"{category.__name__}: {message}\\n"
"""


class NotebookError(RuntimeError):
    """A cell failed; ``str()`` names the notebook and the error in one line."""


def inputs(name: str, folder: str | Path = "data/notebooks") -> dict:
    """The pipeline outputs notebook ``name`` reads, by name: written by its rule
    (``execute_notebook``, from ``NOTEBOOK_INPUTS`` in workflow/rules/notebooks.smk) to
    ``data/notebooks/<name>.inputs.json`` before it runs."""
    import json

    path = Path(folder) / f"{name}.inputs.json"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run `snakemake --cores 1 data/notebooks/{name}.html` once"
        )
    return json.loads(path.read_text())


def execute(source: Path, ipynb: Path, html: Path, threads: int, timeout_s: int) -> None:
    """Run every cell of ``source`` in a fresh kernel; write the executed notebook and HTML."""
    import jupytext
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    os.environ["ANATOMY_THREADS"] = str(threads)
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    # Warnings from installed packages name their file, which is this machine's environment
    # path: a first cell, run and then removed, prints them as "Category: message" alone.
    notebook.cells.insert(0, nbformat.v4.new_code_cell(PLAIN_WARNINGS))
    try:
        ExecutePreprocessor(timeout=timeout_s, kernel_name="python3").preprocess(
            notebook, {"metadata": {"path": str(Path.cwd())}}
        )
    except Exception as error:  # nbclient's CellExecutionError carries the whole traceback
        last = str(error).strip().splitlines()[-1] if str(error).strip() else repr(error)
        raise NotebookError(f"notebook {source} failed: {type(error).__name__}: {last}") from error
    notebook.cells.pop(0)
    ipynb.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, ipynb)
    shown, formulas = offline_math(notebook)
    body, _ = HTMLExporter().from_notebook_node(shown)
    for token, mathml in formulas.items():
        body = body.replace(token, mathml)
    html.write_text(MATHJAX_LOADER.sub("", body))


# Math in markdown cells: $$display$$ and $inline$ (not \$, not "$ 5 and $ 6").
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?![\s$])([^$\n]+?)(?<![\s\\])\$", re.S)
# nbconvert's script that loads MathJax from a CDN: blank on a machine offline, so dropped.
MATHJAX_LOADER = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)


def offline_math(notebook):
    """A copy of ``notebook`` whose markdown math is replaced by tokens, and the MathML of each
    token (latex2mathml): the HTML shows the math with no script and no network, in any
    browser that renders MathML. A formula latex2mathml cannot read raises ValueError."""
    import copy

    from latex2mathml.converter import convert

    shown, formulas = copy.deepcopy(notebook), {}

    def swap(match: re.Match) -> str:
        display = match.group(1) is not None
        tex = match.group(1) if display else match.group(2)
        try:
            mathml = convert(tex.strip(), display="block" if display else "inline")
        except Exception as error:  # latex2mathml raises its own exception types
            raise ValueError(f"formula ${tex}$ cannot be rendered offline: {error}") from error
        token = f"anatomymath{len(formulas)}x"
        formulas[token] = mathml
        return token

    for cell in shown.cells:
        if cell.cell_type == "markdown":
            cell.source = MATH.sub(swap, cell.source)
    return shown, formulas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("ipynb", type=Path)
    parser.add_argument("html", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    try:
        execute(args.source, args.ipynb, args.html, args.threads, args.timeout)
    except NotebookError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
