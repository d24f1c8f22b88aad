"""Summaries of the zoo's metrics table for the note: the accuracy table and the macros."""

from __future__ import annotations

import numpy as np
import pandas as pd

from anatomy.core.formatting import fmt
from anatomy.core.intervals import compare_phrase, mean_ci, paired_difference, wilson

# The tasks' short names in the zoo's tables.
SHORT_NAMES = {
    "associative_recall": "recall",
    "max_retrieval": "max",
    "dyck1": "Dyck-1",
    "first_causal": "first (causal)",
    "first_masked": "first (causal, pos.)",
    "parity_causal": "parity (causal)",
}


def per_seed(metrics: pd.DataFrame, metric: str = "accuracy") -> dict[str, pd.Series]:
    """``{"in": ..., "far": ...}``: one metric per (operator, task, seed), averaged over the
    in-distribution sizes ("in") or taken at each task's largest test size ("far")."""
    return {
        name: part.groupby(["operator", "task", "seed"]).value.mean()
        for name, part in regimes(metrics[metrics.metric == metric]).items()
    }


def regimes(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``{"in": ..., "far": ...}``: the rows at in-distribution sizes, and the rows at each
    task's largest test size."""
    largest = rows.groupby("task")["size"].transform("max")
    return {"in": rows[rows.in_distribution], "far": rows[rows["size"] == largest]}


def accuracy_by_regime(metrics: pd.DataFrame, statistic: str = "mean") -> pd.DataFrame:
    """Operator x task: accuracy in distribution and at the largest test size.

    ``statistic``: ``"mean"`` over seeds, or ``"ci95"``, the half-width of the Student-t 95%
    interval of that mean over seeds (:func:`anatomy.core.intervals.mean_ci`; NaN with one seed).
    Columns are a MultiIndex ``(task, "in" | "far")``; rows keep the table's operator order.
    """

    def reduce(values: pd.Series) -> pd.Series:
        grouped = values.groupby(["operator", "task"])
        if statistic == "mean":
            return grouped.mean()
        return grouped.agg(lambda seeds: mean_ci(seeds)[1])

    table = pd.concat({name: reduce(v) for name, v in per_seed(metrics).items()}, axis=1).unstack(
        "task"
    )
    table.columns = table.columns.swaplevel(0, 1)
    tasks = list(dict.fromkeys(metrics.task))
    ops = list(dict.fromkeys(metrics.operator))
    return table.reindex(index=ops, columns=pd.MultiIndex.from_product([tasks, ["in", "far"]]))


def sampling_half_width(metrics: pd.DataFrame, task: str, regime: str) -> float:
    """The largest, over operators, half-width of the 95% Wilson interval of a cell's accuracy
    from its test answers alone, pooled over seeds and the regime's sizes (``in``: the
    in-range sizes; ``far``: the largest): the part of a cell's uncertainty that more test
    samples would shrink. NaN for a table without the ``answers`` metric."""
    part = regimes(metrics[metrics.task == task])[regime]
    keys = ["operator", "seed", "size"]
    answers = part[part.metric == "answers"].set_index(keys).value
    accuracy = part[part.metric == "accuracy"].set_index(keys).value
    if answers.empty:
        return float("nan")
    correct = (accuracy * answers.reindex(accuracy.index)).groupby(level="operator").sum()
    total = answers.groupby(level="operator").sum()
    halves = [
        (high - low) / 2
        for op in total.index
        for low, high in [wilson(float(correct[op] / total[op]), int(total[op]))]
    ]
    return max(halves)


def baselines(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per task and regime ("in" range, "far" = the largest test size): the chance level and
    the majority baseline of the test samples themselves, then mean accuracy and 95% interval
    over seeds of ``uniform`` and ``softmax``, and of the best ``sparse`` and best ``kernel``
    operator, each chosen as the family's highest mean in that cell (a maximum over the
    family: its interval is that operator's, not corrected for the choice)."""
    accuracy = per_seed(metrics)
    chance = per_seed(metrics, "chance")
    majority = per_seed(metrics, "majority")
    largest = metrics.groupby("task")["size"].max()
    family = metrics.groupby("operator").family.first()  # recorded by zoo.evaluate
    rows = []
    for task in dict.fromkeys(metrics.task):
        for regime in ("in", "far"):
            acc = accuracy[regime].xs(task, level="task")  # (operator, seed)
            row = {
                "task": task,
                "regime": regime,
                "size": int(largest[task]) if regime == "far" else None,
                "chance": float(chance[regime].xs(task, level="task").mean()),
                "majority": float(majority[regime].xs(task, level="task").mean()),
            }
            stats = {op: mean_ci(seeds) for op, seeds in acc.groupby(level="operator")}
            row["sampling_ci"] = sampling_half_width(metrics, task, regime)
            for column in ("uniform", "softmax"):
                row[column], row[f"{column}_ci"] = stats.get(column, (float("nan"),) * 2)
            for fam in ("sparse", "kernel"):
                members = {op: s for op, s in stats.items() if family[op] == fam}
                best = max(members, key=lambda op: members[op][0], default=None)
                row[f"{fam}_operator"] = best or ""
                row[f"{fam}_best"], row[f"{fam}_ci"] = (
                    members[best] if best else (float("nan"),) * 2
                )
                row[f"{fam}_of"] = len(members)
            rows.append(row)
    return pd.DataFrame(rows)


def paired_against(metrics: pd.DataFrame, reference: str = "softmax") -> pd.DataFrame:
    """Every other operator against ``reference``, per task and regime ("in" range, "far" =
    the largest test size): the mean over seeds of the accuracy difference (operator minus
    reference), paired by seed (the same seed draws the same batches and sizes for every
    operator), the half-width of its 95% t interval, and the verdict of
    :func:`anatomy.core.intervals.compare_phrase`: "above", "below", "same" (the interval contains
    zero) or "unresolved" (one seed). Seeds that only one side has are left out."""
    accuracy = per_seed(metrics)
    rows = []
    for task in dict.fromkeys(metrics.task):
        for regime in ("in", "far"):
            acc = accuracy[regime].xs(task, level="task")  # (operator, seed)
            if reference not in acc.index.get_level_values("operator"):
                continue
            ref = acc.xs(reference, level="operator")
            for op in dict.fromkeys(metrics.operator):
                if op == reference or op not in acc.index.get_level_values("operator"):
                    continue
                own = acc.xs(op, level="operator")
                seeds = sorted(set(own.index) & set(ref.index))
                diff, half = paired_difference(own[seeds].tolist(), ref[seeds].tolist())
                verdict = compare_phrase(diff, half, "above", "below", "same", "unresolved")
                rows.append(
                    {
                        "task": task,
                        "regime": regime,
                        "operator": op,
                        "difference": diff,
                        "difference_ci": half,
                        "verdict": verdict,
                        "seeds": len(seeds),
                    }
                )
    return pd.DataFrame(
        rows,
        columns=["task", "regime", "operator", "difference", "difference_ci", "verdict", "seeds"],
    )


def trained_measurements(metrics: pd.DataFrame, operator: str = "softmax") -> pd.DataFrame:
    """Per task, for one operator's trained models: the logit gap of the last layer (the
    answer's score over the best other key, in range and at the largest size) and its slope
    against log n over every test size, and the flip sensitivity ``n * TV`` (in range and at
    the largest size); each a mean over seeds with the half-width of its 95% t interval. A gap
    that keeps the answer's weight fixed as n grows has slope 1 (nats per unit of log n)."""
    own = metrics[metrics.operator == operator]
    rows = []
    for task in dict.fromkeys(own.task):
        part = own[own.task == task]
        row: dict[str, float | str] = {"task": task}
        for metric in ("logit_gap", "sensitivity"):
            for regime, values in per_seed(part, metric).items():
                row[f"{metric}_{regime}"], row[f"{metric}_{regime}_ci"] = mean_ci(values.dropna())
        gaps = part[(part.metric == "logit_gap") & part.value.notna()]
        slopes = [
            float(np.polyfit(np.log(g["size"].astype(float)), g.value.astype(float), 1)[0])
            for _, g in gaps.groupby("seed")
            if g["size"].nunique() > 1
        ]
        row["gap_slope"], row["gap_slope_ci"] = mean_ci(slopes)
        rows.append(row)
    return pd.DataFrame(rows)


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
        "first_causal": "FirstCausal",
        "first_masked": "FirstMasked",
        "parity_causal": "ParityCausal",
    }
    # Baselines per task and regime: chance, the samples' majority class, `uniform`.
    base = baselines(metrics).set_index(["task", "regime"]) if "family" in metrics else None
    for task, key in names.items():
        for regime, suffix in (("in", "In"), ("far", "Far")):
            for column, name in (
                ("chance", "Chance"),
                ("majority", "Majority"),
                ("uniform", "Uniform"),
            ):
                have = base is not None and (task, regime) in base.index
                values[f"zoo{key}{name}{suffix}"] = (
                    float(base.loc[(task, regime), column]) if have else float("nan")
                )
    # Recall's bag-of-values baseline over its in-range test sizes (anatomy.zoo.tasks.bag_baseline).
    recall_in = metrics[(metrics.task == "associative_recall") & metrics.in_distribution]
    sizes_in = sorted(recall_in["size"].unique())
    from anatomy.zoo.tasks import bag_baseline

    values["zooRecallBagIn"] = (
        float(np.mean([bag_baseline(int(n)) for n in sizes_in])) if sizes_in else float("nan")
    )
    # The sampling part of every cell's uncertainty, at most this (Wilson, pooled answers).
    values["zooSamplingHalfWidth"] = (
        float(base.sampling_ci.max()) if base is not None else float("nan")
    )
    # Paired differences from softmax over seeds: how many (task, regime, operator) cells
    # an operator is reliably below, above or indistinguishable from softmax.
    paired = paired_against(metrics) if "softmax" in set(metrics.operator) else pd.DataFrame()
    verdicts = paired.verdict.value_counts() if len(paired) else pd.Series(dtype=int)
    values["zooPairedCells"] = int(len(paired))
    for verdict, name in (("below", "Below"), ("above", "Above"), ("same", "Same")):
        values[f"zooPaired{name}"] = int(verdicts.get(verdict, 0))
    # Trained softmax: the logit gap (in, far, slope on log n) and flip sensitivity per task.
    trained = (
        trained_measurements(metrics).set_index("task")
        if "logit_gap" in set(metrics.metric)
        else pd.DataFrame()
    )
    columns = {
        "logit_gap_in": "GapIn",
        "logit_gap_far": "GapFar",
        "gap_slope": "GapSlope",
        "sensitivity_in": "SensIn",
        "sensitivity_far": "SensFar",
    }
    for task, key in names.items():
        for column, name in columns.items():
            have = task in trained.index
            values[f"zoo{key}{name}"] = float(trained.loc[task, column]) if have else float("nan")
    # Every task gets its macros; a task the profile did not run reads "---" in the note.
    largest_size = metrics.groupby("task")["size"].max()
    acc = metrics[(metrics.metric == "accuracy") & (metrics.operator == "softmax")]
    trained_max = metrics[metrics.in_distribution].groupby("task")["size"].max()
    for task, key in names.items():
        values[f"zoo{key}FarSize"] = int(largest_size[task]) if task in tasks else float("nan")
        # Softmax at twice the training maximum (a size every task is tested at).
        twice = 2 * int(trained_max[task]) if task in trained_max.index else -1
        at_twice = acc[(acc.task == task) & (acc["size"] == twice)].value
        values[f"zoo{key}TwiceSize"] = twice if twice > 0 else float("nan")
        values[f"zoo{key}SoftmaxTwice"] = float(at_twice.mean()) if len(at_twice) else float("nan")
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


def parity_verdict(table: pd.DataFrame, learned: float, failed: float, margin_ratio: float) -> dict:
    """Which explanation the data support, by a rule fixed before the run. Lengths where the
    mean accuracy over seeds is at least ``learned`` count as learned, at most ``failed`` as
    failed. With ``n_L`` the longest learned length below the shortest failed one ``n_F``:
    ``"optimisation"`` when the construction's margin shrinks by less than ``margin_ratio``
    from ``n_L`` to ``n_F`` (learning collapsed while the margin hardly moved), ``"margin"``
    when it shrinks by more. ``"no failure"`` when no length failed, ``"no success"`` when
    none below the first failure was learned."""
    means = table.groupby("n").agg(accuracy=("accuracy", "mean"), margin=("margin", "first"))
    means["ci"] = table.groupby("n").accuracy.agg(lambda a: mean_ci(a)[1])
    out = {"accuracy": means.accuracy.to_dict(), "ci": means.ci.to_dict()}
    failures = means.index[means.accuracy <= failed]
    if len(failures) == 0:
        return out | {"verdict": "no failure", "learned_n": None, "failed_n": None, "ratio": None}
    first_failure = int(failures.min())
    below = means[(means.index < first_failure) & (means.accuracy >= learned)]
    if below.empty:
        return out | {"verdict": "no success", "learned_n": None, "failed_n": first_failure}
    last_learned = int(below.index.max())
    ratio = float(means.margin[last_learned] / means.margin[first_failure])
    return out | {
        "verdict": "optimisation" if ratio < margin_ratio else "margin",
        "learned_n": last_learned,
        "failed_n": first_failure,
        "ratio": ratio,
    }


def parity_sentence(result: dict, learned: float, failed: float, margin_ratio: float) -> str:
    """The note's sentence for a :func:`parity_verdict`, with its numbers, so that the words
    can never disagree with the measurement (LaTeX, numbers to two significant figures)."""
    acc = result["accuracy"]
    kind = result["verdict"]
    if kind == "no failure":
        return (
            f"No length up to $n={max(acc)}$ fell to mean accuracy {fmt(failed)} or below, so "
            "within these lengths neither explanation is put to the test."
        )
    if kind == "no success":
        return (
            f"No length below the first failure ($n={result['failed_n']}$) reached mean accuracy "
            f"{fmt(learned)}, so the data cannot compare the two explanations."
        )
    n_l, n_f = result["learned_n"], result["failed_n"]
    head = (
        f"Mean accuracy falls from {fmt(acc[n_l])} at $n={n_l}$ to {fmt(acc[n_f])} at $n={n_f}$ "
        f"while the construction's margin shrinks by a factor of {fmt(result['ratio'])}"
    )
    if kind == "optimisation":
        return (
            f"{head}, less than the factor {fmt(margin_ratio)} fixed before the run: learning "
            "collapses while the margin hardly moves, which supports the optimisation "
            "explanation (sharp minima) over the margin."
        )
    return (
        f"{head}, more than the factor {fmt(margin_ratio)} fixed before the run: the collapse "
        "is consistent with the margin explanation, and these lengths do not single out "
        "optimisation."
    )
