"""Table: where every figure, table and macro file of the note came from (appendix), and the
link under each figure and table to the script that made it."""

from pathlib import Path

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, longtable

# The links are relative to the compiled note (paper/build/note.pdf) in a checkout.
SCRIPTS = "../../workflow/scripts/"


def kind(asset: str) -> str | None:
    """``fig`` or ``tab`` for an asset the note sets as a float, else None (macro files)."""
    if asset.startswith("figures/"):
        return "fig"
    return "tab" if "/tables/" in asset else None


def link(script: str, rule: str) -> str:
    return rf"\href{{{SCRIPTS}{script}}}{{{code(script)}}} (rule {code(rule)})"


with snakemake_job(snakemake):
    rows, links = [], []
    for asset, rule, script, _experiment, config_hash in snakemake.params.rows:
        float_kind, stem = kind(asset), Path(asset).stem
        where = rf"\assetref{{{float_kind}}}{{{stem}}}" if float_kind else "--"
        script_cell = rf"\href{{{SCRIPTS}{script}}}{{{code(script)}}}"
        # The file's name alone (figures/, paper/generated/tables/ or macros/: the paragraph
        # above says where), and the hash's first 8 digits, so that the table fits the page.
        rows.append([where, code(Path(asset).name), code(rule), script_cell, code(config_hash[:8])])
        if float_kind:
            links.append(
                rf"\expandafter\def\csname anatomysrc@{float_kind}@{stem}\endcsname"
                rf"{{{link(script, rule)}}}"
            )
    header = ["in the note", "file", "rule", "script", "config hash"]
    # One row per file of the note, more than a page holds: its header repeats on every page.
    table = longtable(header, rows, "lllll")
    commit = snakemake.params.commit
    commit = code(commit[:12] + ("-dirty" if commit.endswith("-dirty") else ""))
    Path(snakemake.output.tex).write_text(
        "% written by write_provenance; do not edit\n"
        f"\\newcommand{{\\ProvenanceCommit}}{{{commit}}}\n"
        f"\\newcommand{{\\ProvenanceProfile}}{{{code(snakemake.params.profile)}}}\n"
        + "\n".join(links)
        + "\n"
        + f"\\newcommand{{\\ProvenanceTable}}{{%\n{table}}}\n"
    )
