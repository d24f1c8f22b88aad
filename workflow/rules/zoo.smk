# Layer A, the operator zoo: one tiny transformer per (operator, task, seed), trained once
# (a checkpoint per model is the rule's output), then evaluated at every test size by its own
# rule. One job trains (or evaluates) every model of a task: the seeds of an operator as one
# stacked model, the operators in turn. The process start, the imports and the driver's
# bookkeeping, most of a small model's cost when each had its own job, are paid once a task.
import re

from anatomy.core import operators  # the registry; imports torch, so dry runs take ~2 s

ZOO_OPERATORS = (
    operators.names() if config["zoo"]["operators"] == "all" else config["zoo"]["operators"]
)
_unknown = sorted(set(ZOO_OPERATORS) - set(operators.names()))
if _unknown:
    sys.exit(
        f"config: zoo.operators = {_unknown}: not registered "
        f"(allowed values: all, {', '.join(operators.names())})"
    )

# The dynamic-adjacency figure (Layer B) reads these operators' zoo models.
_missing_ops = sorted(set(config["equivalent_forms"]["adjacency"]["operators"]) - set(ZOO_OPERATORS))
if "equivalent_forms" in config["experiments"] and _missing_ops:
    sys.exit(
        f"config: equivalent_forms.adjacency.operators = {_missing_ops}: not in the zoo "
        f"(zoo.operators: {', '.join(ZOO_OPERATORS)})"
    )

ZOO = f"{RESULTS}/zoo"
ZOO_MODELS = "data/models/zoo"


ZOO_EVALUATIONS = expand(
    f"{ZOO}/{{task}}/{{operator}}/seed{{seed}}.parquet",
    task=config["zoo"]["tasks"],
    operator=ZOO_OPERATORS,
    seed=config["zoo"]["seeds"],
)


wildcard_constraints:
    operator="|".join(re.escape(name) for name in operators.names()),
    task="|".join(config["zoo"]["tasks"]),
    seed=r"\d+",


# One file per (operator, seed) of a task, operators in the config's order.
ZOO_CELL = [
    f"{{task}}/{operator}/seed{seed}"
    for operator in ZOO_OPERATORS
    for seed in config["zoo"]["seeds"]
]
# The checkpoints of a task, each a named output ("softmax_seed0"): Snakemake's output cache
# stores named files, not lists.
ZOO_CHECKPOINTS = {
    f"{operator}_seed{seed}": f"{ZOO_MODELS}/{{task}}/{operator}/seed{seed}.pt"
    for operator in ZOO_OPERATORS
    for seed in config["zoo"]["seeds"]
}


rule train_zoo_model:
    input:
        lib=library_of("../scripts/train_zoo_model.py"),
    output:
        **ZOO_CHECKPOINTS,
    log:
        f"{LOGS}/train_zoo_model/{{task}}.log",
    benchmark:
        f"{BENCHMARKS}/train_zoo_model/{{task}}.tsv"
    params:
        run=zoo_training_params,
        **CACHE_KEY,
    threads: 1
    # A task's job is one of the DAG's longest (4 to 8 minutes on two cores): started early,
    # so that short jobs, not these, fill the end of the run (at priority 0 they ran last).
    priority: 2
    cache: OUTPUT_CACHE  # with --cache: trained once per code and settings (README)
    resources:
        mem_mb=2000,
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/train_zoo_model.py"


rule evaluate_zoo_model:
    input:
        checkpoints=list(ZOO_CHECKPOINTS.values()),
        lib=library_of("../scripts/evaluate_zoo_model.py"),
    output:
        tables=[f"{ZOO}/{cell}.parquet" for cell in ZOO_CELL],
    log:
        f"{LOGS}/evaluate_zoo_model/{{task}}.log",
    benchmark:
        f"{BENCHMARKS}/evaluate_zoo_model/{{task}}.tsv"
    params:
        run=run_params("zoo", "evaluation"),
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/evaluate_zoo_model.py"


rule collect_zoo:
    input:
        tables=ZOO_EVALUATIONS,
        lib=library_of("../scripts/collect_tables.py"),
    output:
        table=f"{ZOO}/metrics.parquet",
    log:
        f"{LOGS}/collect_zoo.log",
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/collect_tables.py"


REPORT_CATEGORIES["zoo"] = "Layer A.3 - the operator zoo"
# The section's figures and tables (made by figures_and_tables.smk), all from the collected
# metrics but PARITY's learnability, declared below its measurement.
for name in ["zoo_generalization", "zoo_target_weight", "zoo_entropy"]:
    declare("figure", name, "zoo", table=rules.collect_zoo.output.table)


# PARITY trained at one fixed length at a time, against the exact construction's margin: a
# measurement of the protocol (anatomy.zoo.measurements), run by the generic rule
# measure_parity_learnability; it reads the seeds and the training block beside its own.
ZOO_LEARNABILITY = result("zoo", "parity_learnability")
MEASUREMENT_RULES.update(
    {
        "parity_learnability": measurement(
            "zoo", ("seeds", "training", "learnability"), part="parity_learnability", priority=2
        ),
    }
)
declare("figure", "parity_learnability", "zoo", tables=[ZOO_LEARNABILITY])
for name in ["zoo", "zoo_baselines", "zoo_paired", "zoo_trained"]:
    declare("table", name, "zoo", table=rules.collect_zoo.output.table)
PAPER_ASSETS["zoo"].append(f"{GENERATED}/macros/zoo.tex")


rule write_zoo_macros:
    input:
        learnability=ZOO_LEARNABILITY,
        table=rules.collect_zoo.output.table,
        lib=library_of("../scripts/macros_zoo.py"),
    output:
        tex=f"{GENERATED}/macros/zoo.tex",
        values=f"{GENERATED}/values/zoo.json",
    log:
        f"{LOGS}/write_zoo_macros.log",
    params:
        settings=config["zoo"],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/macros_zoo.py"
