"""Table: published results reproduced. Each row sets a paper's number or law beside ours,
with the criterion in the config (`reproduction`) and its verdict; a dagger marks a criterion
set after earlier runs had shown our number; a failed row stays in the table."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import fmt, tabular, write_macros, write_table
from anatomy.report.reproduction import macro_values, read_values, table


def criterion(check: str, published: float, tolerance: float) -> str:
    """The pass rule in words: what ours must meet."""
    if check == "abs":
        return rf"$\pm$ {fmt(tolerance)}"
    if check == "rel":
        return rf"$\pm$ {fmt(100 * tolerance)}\%"
    if check == "factor":
        return rf"within $\times${fmt(tolerance)}"
    return (r"$\le$ " if check == "below" else r"$\ge$ ") + fmt(tolerance)


with snakemake_job(snakemake):
    files = {name: snakemake.input[name] for name in snakemake.params.sections}
    rows = table(read_values(files), snakemake.params.tolerances)
    lines = []
    for r in rows.itertuples():
        published = "" if pd.isna(r.published) else fmt(r.published)
        lines.append(
            [
                rf"\citet{{{r.cite}}}",
                r.claim,
                published,
                fmt(r.ours),
                criterion(r.check, r.published, r.tolerance)
                + (r"$^\dagger$" if r.set_after else ""),
                r.verdict,
            ]
        )
    header = ["paper", "published result", "value", "ours", "criterion", "verdict"]
    write_table(snakemake.output, tabular(header, lines, r"lp{5.2cm}rrlc"))
    write_macros(
        macro_values(rows),
        snakemake.output.macros,
        snakemake.output.values,
        "written by tabulate_reproduction; do not edit",
    )
