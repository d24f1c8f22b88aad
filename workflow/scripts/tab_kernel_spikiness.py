"""Table: what each kernel keeps of softmax: spikiness (row entropy, largest weight, exact
zeros) and monotonicity (Spearman correlation of the weight with q.k), same inputs."""

import math
from pathlib import Path

import pandas as pd

from anatomy.latex import fmt, tabular

table = pd.read_parquet(snakemake.input.tables[0])
header = [
    "operator",
    "kernel",
    "normalizer",
    "entropy / log n",
    "max weight",
    "zeros",
    "Spearman(q.k, w)",
]


def cell(x, digits=2):
    return "--" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt(float(x), digits)


def tt(name):
    return r"\texttt{" + name.replace("_", r"\_").replace("+", "+") + "}"


rows = [
    [
        tt(r.operator),
        tt(r.kernel),
        tt(r.normalizer),
        cell(r.entropy),
        cell(r.max_weight),
        cell(r.zero_fraction),
        cell(r.spearman),
    ]
    for r in table.itertuples()
]
Path(snakemake.output.tex).write_text(tabular(header, rows, "lllrrrr"))
