"""Table: where every figure, table and macro file of the note came from (appendix)."""

from pathlib import Path

from anatomy.latex import code, tabular
from anatomy.runtime import snakemake_job

with snakemake_job(snakemake):
    rows = [
        [code(asset.removeprefix("paper/generated/")), code(rule), code(script), code(config_hash)]
        for asset, rule, script, _experiment, config_hash in snakemake.params.rows
    ]
    header = ["file", "rule", "script", "config hash"]
    # A longtable: one row per file of the note, more than a page may hold.
    table = tabular(header, rows, "llll").replace("{tabular}", "{longtable}")
    commit = snakemake.params.commit
    commit = code(commit[:12] + ("-dirty" if commit.endswith("-dirty") else ""))
    Path(snakemake.output.tex).write_text(
        "% written by write_provenance; do not edit\n"
        f"\\newcommand{{\\ProvenanceCommit}}{{{commit}}}\n"
        f"\\newcommand{{\\ProvenanceProfile}}{{{code(snakemake.params.profile)}}}\n"
        f"\\newcommand{{\\ProvenanceTable}}{{%\n{table}}}\n"
    )
