# Layer B: softmax as one kernel among many (random features, what linear kernels lose, speed)
# and attention as an RNN, a GNN and a convolution, ending in the dynamic-adjacency figure.

EQ = "equivalent_forms"

MEASUREMENT_RULES.update(
    {
        "kernel_mse": measurement(EQ, "features"),
        "attention_error": measurement(EQ, "attention_error"),
        "kernel_spikiness": measurement(EQ, "spikiness"),
        "kernel_capacity": measurement(EQ, "capacity"),
        # Benchmarks use both cores and run alone: their times are the point.
        "attention_speed": measurement(EQ, "speed", threads=2),
        "decoding_speed": measurement(EQ, "speed", part="decoding", threads=2),
        "equivalences": measurement(EQ, "equivalences"),
        "conv_alpha": measurement(EQ, "equivalences", part="conv_alpha"),
    }
)


rule zoo_adjacency:
    # The trained zoo models' attention on a few inputs (the dynamic-adjacency figure, drawn
    # from the first seed) and on many (how dynamic each operator's graph is, every seed).
    input:
        checkpoints=expand(
            f"{ZOO_MODELS}/{{task}}/{{operator}}/seed{{seed}}.pt",
            task=config[EQ]["adjacency"]["task"],
            operator=config[EQ]["adjacency"]["operators"],
            seed=config["zoo"]["seeds"],
        ),
        lib=library_of("../scripts/zoo_adjacency.py"),
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
REPORT_CATEGORIES["equivalent_forms"] = "Layer B - equivalent forms"
# The section's figures and tables, made by figures_and_tables.smk.
for name in [
    "kernel_mse",
    "attention_error",
    "kernel_capacity",
    "attention_speed",
    "decoding_speed",
    "conv_alpha",
    "dynamic_adjacency",
]:
    declare("figure", name, EQ, tables=EQ_READS[name])
for name in ["kernel_spikiness", "speed_crossover", "equivalences"]:
    declare("table", name, EQ, tables=EQ_READS[name])
# The recall table names its tasks.
declare(
    "table",
    "recall_position",
    EQ,
    settings={"recall": config[EQ]["recall"]},
    tables=EQ_READS["recall_position"],
)
PAPER_ASSETS[EQ].append(f"{GENERATED}/macros/{EQ}.tex")


rule write_equivalent_forms_macros:
    input:
        tables=sorted({path for reads in EQ_READS.values() for path in reads}),
        lib=library_of("../scripts/macros_equivalent_forms.py"),
    output:
        tex=f"{GENERATED}/macros/{EQ}.tex",
        values=f"{GENERATED}/values/{EQ}.json",
    log:
        f"{LOGS}/write_equivalent_forms_macros.log",
    params:
        settings={"recall": config[EQ]["recall"]},
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/macros_equivalent_forms.py"
