"""Table: every operator against softmax, paired by training seed: the mean accuracy
difference (operator minus softmax) with its 95% t interval, per task in range and at the
largest test size. A dagger marks a difference whose interval excludes zero (the rule of
`anatomy.core.intervals.compare_phrase`, fixed before the run); no correction for the number of
cells is made."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, tabular, write_table
from anatomy.zoo.summary import SHORT_NAMES, paired_against


def two_decimals(x: float) -> str:
    """A difference to two decimals, with a real minus sign and no "-0.00"."""
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text


def interval(half_width: float) -> str:
    return "" if pd.isna(half_width) else rf" \pm {half_width:.2f}"


with snakemake_job(snakemake):
    metrics = pd.read_parquet(snakemake.input.table)
    table = paired_against(metrics, "softmax")
    largest = metrics.groupby("task")["size"].max()
    operators = list(dict.fromkeys(table.operator))
    header = ["task", "$n$"] + [code(op) for op in operators]
    rows = []
    for (task, regime), part in table.groupby(["task", "regime"], sort=False):
        cells = [
            SHORT_NAMES.get(task, task) if regime == "in" else "",
            "in range" if regime == "in" else str(int(largest[task])),
        ]
        by_op = part.set_index("operator")
        for op in operators:
            if op not in by_op.index:
                cells.append("---")
                continue
            r = by_op.loc[op]
            mark = "^\\dagger" if r.verdict in ("above", "below") else ""
            cells.append(f"${two_decimals(r.difference)}{interval(r.difference_ci)}{mark}$")
        rows.append(cells)
    write_table(snakemake.output, tabular(header, rows, "ll" + "r" * len(operators)))
