"""Summaries of the zoo's metrics table for the note: the accuracy table and the macros."""

from __future__ import annotations

import numpy as np
import pandas as pd

from anatomy.intervals import mean_ci


def accuracy_by_regime(metrics: pd.DataFrame, statistic: str = "mean") -> pd.DataFrame:
    """Operator x task: accuracy in distribution and at the largest test size.

    ``statistic``: ``"mean"`` over seeds, or ``"ci95"``, the half-width of the Student-t 95%
    interval of that mean over seeds (:func:`anatomy.intervals.mean_ci`; NaN with one seed).
    Columns are a MultiIndex ``(task, "in" | "far")``; rows keep the table's operator order.
    """
    acc = metrics[metrics.metric == "accuracy"]
    largest = acc.groupby("task")["size"].transform("max")
    regimes = {"in": acc[acc.in_distribution], "far": acc[acc["size"] == largest]}
    per_seed = {
        name: rows.groupby(["operator", "task", "seed"]).value.mean()
        for name, rows in regimes.items()
    }

    def reduce(values: pd.Series) -> pd.Series:
        grouped = values.groupby(["operator", "task"])
        if statistic == "mean":
            return grouped.mean()
        return grouped.agg(lambda seeds: mean_ci(seeds)[1])

    table = pd.concat({name: reduce(v) for name, v in per_seed.items()}, axis=1).unstack("task")
    table.columns = table.columns.swaplevel(0, 1)
    tasks = list(dict.fromkeys(metrics.task))
    ops = list(dict.fromkeys(metrics.operator))
    return table.reindex(index=ops, columns=pd.MultiIndex.from_product([tasks, ["in", "far"]]))


def macro_values(metrics: pd.DataFrame) -> dict[str, float | int | str]:
    table = accuracy_by_regime(metrics)
    tasks = list(dict.fromkeys(metrics.task))

    def cell(operator, task, regime):
        try:
            return float(table.loc[operator, (task, regime)])
        except KeyError:
            return float("nan")

    values: dict[str, float | int | str] = {
        "zooOperators": int(table.shape[0]),
        "zooTasks": len(tasks),
        "zooModels": int(metrics.groupby(["operator", "task", "seed"]).ngroups),
        "zooMeanInSoftmax": float(np.nanmean([cell("softmax", t, "in") for t in tasks])),
        "zooMeanFarSoftmax": float(np.nanmean([cell("softmax", t, "far") for t in tasks])),
    }
    # Per task: softmax in / far, and the best operator far from the training range.
    names = {
        "associative_recall": "Recall",
        "max_retrieval": "Max",
        "reverse": "Reverse",
        "copy": "Copy",
        "parity": "Parity",
        "first": "First",
        "dyck1": "Dyck",
    }
    # Every task gets its macros; a task the profile did not run reads "---" in the note.
    for task, key in names.items():
        values[f"zoo{key}SoftmaxIn"] = cell("softmax", task, "in")
        values[f"zoo{key}SoftmaxFar"] = cell("softmax", task, "far")
        if task in tasks and table[(task, "far")].notna().any():
            far = table[(task, "far")]
            values[f"zoo{key}BestFar"] = float(far.max())
            best = str(far.idxmax()).replace("_", r"\_")
            values[f"zoo{key}BestFarOperator"] = r"\texttt{" + best + "}"
            values[f"zoo{key}BestIn"] = float(table[(task, "in")].max())
        else:
            values[f"zoo{key}BestFar"] = values[f"zoo{key}BestIn"] = float("nan")
            values[f"zoo{key}BestFarOperator"] = "---"
    # Attention statistics of softmax at the largest size, averaged over tasks.
    ent = metrics[(metrics.metric == "normalized_entropy") & (metrics.operator == "softmax")]
    largest = ent.groupby("task")["size"].transform("max")
    values["zooSoftmaxEntropyFar"] = float(ent[ent["size"] == largest].value.mean())
    values["zooSoftmaxEntropyIn"] = float(ent[ent.in_distribution].value.mean())
    return values
