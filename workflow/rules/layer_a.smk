# Layer A: the mathematical body of attention.
# Experiment "softmax_constraints": what softmax constrains (sharpness with n; structure).

SC = f"{RESULTS}/softmax_constraints"

PAPER_ASSETS["softmax_constraints"] = [
    "figures/softmax_sharpness.pdf",
    f"{GENERATED}/tables/softmax_properties.tex",
    f"{GENERATED}/macros/softmax_constraints.tex",
]


rule measure_softmax_sharpness:
    input:
        lib=library("operators", "softmax_constraints", "runtime"),
    output:
        table=f"{SC}/sharpness.parquet",
        meta=f"{SC}/sharpness.json",
    log:
        f"{LOGS}/measure_softmax_sharpness.log",
    benchmark:
        f"{BENCHMARKS}/measure_softmax_sharpness.tsv"
    params:
        run=run_params("softmax_constraints", "sharpness"),
    threads: 1
    resources:
        mem_mb=4000,
    script:
        "../scripts/run_softmax_sharpness.py"


rule measure_softmax_properties:
    input:
        lib=library("operators", "softmax_constraints", "runtime"),
    output:
        table=f"{SC}/properties.parquet",
        meta=f"{SC}/properties.json",
    log:
        f"{LOGS}/measure_softmax_properties.log",
    benchmark:
        f"{BENCHMARKS}/measure_softmax_properties.tsv"
    params:
        run=run_params("softmax_constraints", "properties"),
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../scripts/run_softmax_properties.py"


rule plot_softmax_sharpness:
    input:
        table=rules.measure_softmax_sharpness.output.table,
        meta=rules.measure_softmax_sharpness.output.meta,
        lib=library("plotting", "softmax_constraints"),
    output:
        pdf="figures/softmax_sharpness.pdf",
        png="figures/softmax_sharpness.png",
    log:
        f"{LOGS}/plot_softmax_sharpness.log",
    script:
        "../scripts/fig_softmax_sharpness.py"


rule tabulate_softmax_properties:
    input:
        table=rules.measure_softmax_properties.output.table,
        lib=library("latex", "softmax_constraints"),
    output:
        tex=f"{GENERATED}/tables/softmax_properties.tex",
    log:
        f"{LOGS}/tabulate_softmax_properties.log",
    script:
        "../scripts/tab_softmax_properties.py"


rule write_softmax_macros:
    input:
        sharpness=rules.measure_softmax_sharpness.output.table,
        sharpness_meta=rules.measure_softmax_sharpness.output.meta,
        properties=rules.measure_softmax_properties.output.table,
        properties_meta=rules.measure_softmax_properties.output.meta,
        lib=library("latex", "softmax_constraints"),
    output:
        tex=f"{GENERATED}/macros/softmax_constraints.tex",
    log:
        f"{LOGS}/write_softmax_macros.log",
    script:
        "../scripts/macros_softmax_constraints.py"
