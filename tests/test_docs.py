"""The README's picture of the pipeline is the pipeline's own rule graph."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_rule_graph_is_the_current_one():
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "--rulegraph", "--nolock", "--quiet", "all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    graph = out[out.index("digraph") :].strip()
    committed = (ROOT / "docs/rulegraph.dot").read_text().strip()
    # Snakemake prints the edges in no fixed order: compare the lines as sets.
    assert sorted(graph.splitlines()) == sorted(committed.splitlines()), (
        "docs/rulegraph.dot is stale: snakemake --rulegraph > docs/rulegraph.dot &&"
        " dot -Tsvg docs/rulegraph.dot > docs/rulegraph.svg"
    )
    svg = (ROOT / "docs/rulegraph.svg").read_text()
    for rule in re.findall(r'label = "(\w+)"', committed):
        assert f">{rule}<" in svg, f"docs/rulegraph.svg lacks {rule}: render it again"
    assert "docs/rulegraph.svg" in (ROOT / "README.md").read_text()
