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
        lib=library_of("../scripts/fig_{wildcards.eq_figure}.py"),
    output:
        pdf="figures/{eq_figure}.pdf",
        png=shown("figures/{eq_figure}.png", "Layer B - equivalent forms"),
    log:
        f"{LOGS}/plot_{{eq_figure}}.log",
    wildcard_constraints:
        eq_figure="|".join(EQ_FIGURES),
    params:
        caption=lambda w: script_doc(f"workflow/scripts/fig_{w.eq_figure}.py"),
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/fig_{wildcards.eq_figure}.py"


rule tabulate_equivalent_forms:
    input:
        tables=lambda w: EQ_READS[w.eq_table],
        script="workflow/scripts/tab_{eq_table}.py",
        lib=library_of("../scripts/tab_{wildcards.eq_table}.py"),
    output:
        tex=f"{GENERATED}/tables/{{eq_table}}.tex",
        html=shown(f"{REPORT_TABLES}/{{eq_table}}.html", "Layer B - equivalent forms"),
    log:
        f"{LOGS}/tabulate_{{eq_table}}.log",
    wildcard_constraints:
        eq_table="|".join(EQ_TABLES),
    params:
        caption=lambda w: script_doc(f"workflow/scripts/tab_{w.eq_table}.py"),
        # Only the settings a table's script reads: the recall table names its tasks.
        settings=lambda w: {"recall": config[EQ]["recall"]} if w.eq_table == "recall_position" else {},
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/tab_{wildcards.eq_table}.py"


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
