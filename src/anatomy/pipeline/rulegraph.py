"""The pipeline's rule graph for the README: Snakemake's ``--rulegraph`` with its rules grouped
by the stage file that defines them (Layer A, the zoo, Layer B, Layer C, notebooks, the note),
drawn left to right so that the stages stack top to bottom and the graph stays narrow.

Usage: ``python -m anatomy.pipeline.rulegraph > docs/rulegraph.dot && dot -Tsvg docs/rulegraph.dot >
docs/rulegraph.svg`` (tests/test_docs.py keeps the committed file equal to what this prints).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Stage file (workflow/rules/<stem>.smk) -> its group's title, in the note's order.
STAGES = {
    "softmax_constraints": "Layer A.1: what softmax constrains",
    "expressivity": "Layer A.2: what attention can express",
    "zoo": "The operator zoo",
    "equivalent_forms": "Layer B: equivalent forms",
    "diffusion": "Layer C: cross-attention in diffusion",
    "vit": "Layer C: vision transformers",
    "figures_and_tables": "Figures and tables",
    "notebooks": "Notebooks",
    "paper": "The note",
}
LABEL_WIDTH = 16  # characters before a rule name breaks at an underscore


def stage_of_rules(rules_dir: Path = ROOT / "workflow/rules") -> dict[str, str]:
    """Rule name -> the stage file that defines it: ``rule NAME:``, ``use rule X as NAME``, and
    the measurements a stage registers (``"NAME": measurement(...)`` makes ``measure_NAME``).
    The Snakefile's ``all`` belongs to the note."""
    stages = {"all": "paper"}
    for stem in STAGES:
        text = (rules_dir / f"{stem}.smk").read_text()
        names = re.findall(r"^rule (\w+):", text, flags=re.M)
        names += re.findall(r"^use rule \w+ as (\w+)", text, flags=re.M)
        names += [f"measure_{n}" for n in re.findall(r'"(\w+)": measurement\(', text)]
        stages.update(dict.fromkeys(names, stem))
    return stages


def wrapped(name: str, width: int = LABEL_WIDTH) -> str:
    """A rule name broken into lines at underscores, each at most about ``width`` long."""
    lines, line = [], ""
    for part in name.split("_"):
        piece = part if not line else f"_{part}"
        if line and len(line) + len(piece) > width:
            lines.append(line + "_")
            line = part
        else:
            line += piece
    return "\\n".join([*lines, line])


def grouped(dot: str, stages: dict[str, str]) -> str:
    """Snakemake's rule graph (DOT) redrawn: one cluster per stage, left to right."""
    nodes = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', dot, flags=re.M))
    edges = re.findall(r"^\s*(\d+) -> (\d+)", dot, flags=re.M)
    out = [
        "digraph snakemake_dag {",
        "    graph[bgcolor=white, margin=0, rankdir=LR, ranksep=0.35, nodesep=0.12];",
        "    node[shape=box, style=rounded, fontname=sans, fontsize=10, penwidth=1.5];",
        "    edge[penwidth=1, color=grey, arrowsize=0.6];",
    ]
    for stem, title in [*STAGES.items(), ("", "")]:
        members = [i for i, name in nodes.items() if stages.get(name, "") == stem]
        if not members:
            continue
        indent = "    "
        if stem:
            out += [
                f"    subgraph cluster_{stem} {{",
                f'        label="{title}"; labeljust=l; fontname=sans; fontsize=11;',
                "        style=rounded; color=grey70;",
            ]
            indent = "        "
        out += [f'{indent}{i}[label="{wrapped(nodes[i])}"];' for i in members]
        if stem:
            out.append("    }")
    out += [f"    {a} -> {b};" for a, b in edges]
    out.append("}")
    return "\n".join(out) + "\n"


def snakemake_rulegraph(where: Path = ROOT) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--rulegraph", "--nolock", "--quiet", "all"],
        cwd=where,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def main() -> int:
    sys.stdout.write(grouped(snakemake_rulegraph(), stage_of_rules()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
