# Layer B: softmax as one kernel among many (random features, what linear kernels lose, speed)
# and attention as an RNN, a GNN and a convolution, ending in the dynamic-adjacency figure.

EQ = "equivalent_forms"

# The adjacency figure and the recall table read the Layer A zoo: what they name must be in it.
_zoo_needs = {
    "adjacency.task": [config[EQ]["adjacency"]["task"]],
    "recall.content_task": [config[EQ]["recall"]["content_task"]],
    "recall.position_task": [config[EQ]["recall"]["position_task"]],
}
for _key, _tasks in _zoo_needs.items():
    if not set(_tasks) <= set(config["zoo"]["tasks"]):
        sys.exit(f"config: {EQ}.{_key} = {_tasks[0]}: not a zoo task (zoo.tasks: {config['zoo']['tasks']})")
_missing_ops = sorted(set(config[EQ]["adjacency"]["operators"]) - set(ZOO_OPERATORS))
if _missing_ops:
    sys.exit(f"config: {EQ}.adjacency.operators = {_missing_ops}: not in the zoo (zoo.operators)")

MEASUREMENT_RULES.update(
    {
        "kernel_mse": measurement(EQ, "features", "random_features", "linear_kernels"),
        "attention_error": measurement(EQ, "attention_error", "random_features", "linear_kernels"),
        "kernel_spikiness": measurement(EQ, "spikiness", "linear_kernels"),
        "kernel_capacity": measurement(EQ, "capacity", "random_features", "linear_kernels"),
        # Benchmarks use both cores and run alone: their times are the point.
        "attention_speed": measurement(EQ, "speed", "random_features", "speed", threads=2),
        "decoding_speed": measurement(EQ, "speed", "speed", part="decoding", threads=2),
        "equivalences": measurement(EQ, "equivalences", "random_features", "message_passing"),
        "conv_alpha": measurement(
            EQ, "equivalences", "message_passing", part="conv_alpha"
        ),
    }
)


rule zoo_adjacency:
    # The trained zoo models' attention on a few inputs: the dynamic-adjacency figure's data.
    input:
        checkpoints=expand(
            f"{ZOO_MODELS}/{{task}}/{{operator}}/seed{{seed}}.pt",
            task=config[EQ]["adjacency"]["task"],
            operator=config[EQ]["adjacency"]["operators"],
            seed=config["zoo"]["seeds"][0],
        ),
        lib=library("message_passing", "zoo", "tasks", "model", "operators", "runtime"),
    output:
        maps=f"{RESULTS}/{EQ}/adjacency.pt",
    log:
        f"{LOGS}/zoo_adjacency.log",
    params:
        run=run_params(EQ, "adjacency"),
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/zoo_adjacency.py"


# figure or table -> the tables it reads (result parts of this experiment, or other files)
EQ_READS = {
    "kernel_mse": [result(EQ, "features")],
    "attention_error": [result(EQ, "attention_error")],
    "kernel_capacity": [result(EQ, "capacity")],
    "attention_speed": [result(EQ, "speed")],
    "decoding_speed": [result(EQ, "decoding")],
    "conv_alpha": [result(EQ, "conv_alpha")],
    "dynamic_adjacency": [f"{RESULTS}/{EQ}/adjacency.pt"],
    "kernel_spikiness": [result(EQ, "spikiness")],
    "speed_crossover": [result(EQ, "speed")],
    "equivalences": [result(EQ, "equivalences")],
    "recall_position": [f"{ZOO}/metrics.parquet"],
}
EQ_FIGURES = [
    "kernel_mse",
    "attention_error",
    "kernel_capacity",
    "attention_speed",
    "decoding_speed",
    "conv_alpha",
    "dynamic_adjacency",
]
EQ_TABLES = ["kernel_spikiness", "speed_crossover", "equivalences", "recall_position"]
PAPER_ASSETS[EQ] = (
    [f"figures/{name}.pdf" for name in EQ_FIGURES]
    + [f"{GENERATED}/tables/{name}.tex" for name in EQ_TABLES]
    + [f"{GENERATED}/macros/{EQ}.tex"]
)


rule plot_equivalent_forms:
    input:
        tables=lambda w: EQ_READS[w.eq_figure],
        script="workflow/scripts/fig_{eq_figure}.py",
        lib=library("plotting"),
    output:
        pdf="figures/{eq_figure}.pdf",
        png=shown("figures/{eq_figure}.png", "Layer B - equivalent forms"),
    log:
        f"{LOGS}/plot_{{eq_figure}}.log",
    wildcard_constraints:
        eq_figure="|".join(EQ_FIGURES),
    params:
        caption=lambda w: script_doc(f"workflow/scripts/fig_{w.eq_figure}.py"),
        settings=config[EQ],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/fig_{wildcards.eq_figure}.py"


rule tabulate_equivalent_forms:
    input:
        tables=lambda w: EQ_READS[w.eq_table],
        script="workflow/scripts/tab_{eq_table}.py",
        lib=library("latex", "linear_kernels", "speed"),
    output:
        tex=shown(f"{GENERATED}/tables/{{eq_table}}.tex", "Layer B - equivalent forms"),
    log:
        f"{LOGS}/tabulate_{{eq_table}}.log",
    wildcard_constraints:
        eq_table="|".join(EQ_TABLES),
    params:
        caption=lambda w: script_doc(f"workflow/scripts/tab_{w.eq_table}.py"),
        settings=config[EQ],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/tab_{wildcards.eq_table}.py"


rule write_equivalent_forms_macros:
    input:
        tables=sorted({path for reads in EQ_READS.values() for path in reads}),
        lib=library("latex", "linear_kernels", "speed"),
    output:
        tex=f"{GENERATED}/macros/{EQ}.tex",
    log:
        f"{LOGS}/write_equivalent_forms_macros.log",
    params:
        settings=config[EQ],
        reads=EQ_READS,
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/macros_equivalent_forms.py"
