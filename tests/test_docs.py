"""The README's picture of the pipeline is the pipeline's own rule graph."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_rule_graph_is_the_current_one():
    from anatomy.pipeline.rulegraph import grouped, snakemake_rulegraph, stage_of_rules

    raw = snakemake_rulegraph(ROOT)
    graph = grouped(raw, stage_of_rules())
    committed = (ROOT / "docs/rulegraph.dot").read_text()
    # Snakemake prints the edges in no fixed order: compare the lines as sets.
    assert sorted(graph.splitlines()) == sorted(committed.splitlines()), (
        "docs/rulegraph.dot is stale: python -m anatomy.pipeline.rulegraph > docs/rulegraph.dot &&"
        " dot -Tsvg docs/rulegraph.dot > docs/rulegraph.svg"
    )
    # Every rule of the pipeline sits in the group of the stage file that defines it.
    rules = set(re.findall(r'label = "(\w+)"', raw))
    assert rules <= set(stage_of_rules()), rules - set(stage_of_rules())
    svg = (ROOT / "docs/rulegraph.svg").read_text()
    for label in re.findall(r'\[label="([^"]+)"\]', committed):
        for line in label.split("\\n"):
            assert f">{line}<" in svg, f"docs/rulegraph.svg lacks {line}: render it again"
    # Readable at README width: the stages stack, the graph is taller than it is wide.
    width, height = (
        float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    )
    assert width <= min(height, 1200), (width, height)
    assert "docs/rulegraph.svg" in (ROOT / "README.md").read_text()
