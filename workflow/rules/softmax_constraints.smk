# Layer A.1, softmax_constraints: what softmax constrains (sharpness with n; the target weight
# against its gap; structural properties of one layer).


# The section's measurements (anatomy.pipeline.measurements); measurement_rules.smk makes one rule
# of each.
MEASUREMENT_RULES.update(
    {
        "softmax_sharpness": measurement("softmax_constraints", "sharpness"),
        "softmax_gap": measurement("softmax_constraints", "gap"),
        "softmax_properties": measurement("softmax_constraints", "properties"),
    }
)


# figure -> the table it draws
SOFTMAX_FIGURES = {"softmax_sharpness": "sharpness", "softmax_gap": "gap"}
PAPER_ASSETS["softmax_constraints"] = [f"figures/{name}.pdf" for name in SOFTMAX_FIGURES] + [
    f"{GENERATED}/tables/softmax_properties.tex",
    f"{GENERATED}/macros/softmax_constraints.tex",
]


rule plot_softmax_constraints:
    # One script per figure; this rule draws whichever the wildcard names.
    input:
        table=lambda w: result("softmax_constraints", SOFTMAX_FIGURES[w.figure]),
        meta=lambda w: result("softmax_constraints", SOFTMAX_FIGURES[w.figure]).replace(
            ".parquet", ".json"
        ),
        script="workflow/scripts/fig_{figure}.py",
        lib=library_of("../scripts/fig_{wildcards.figure}.py"),
    output:
        pdf="figures/{figure}.pdf",
        png=shown("figures/{figure}.png", "Layer A.1 - what softmax constrains"),
    log:
        f"{LOGS}/plot_{{figure}}.log",
    wildcard_constraints:
        figure="|".join(SOFTMAX_FIGURES),
    params:
        caption=lambda w: script_doc(f"workflow/scripts/fig_{w.figure}.py"),
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/fig_{wildcards.figure}.py"


rule tabulate_softmax_properties:
    input:
        table=result("softmax_constraints", "properties"),
        lib=library_of("../scripts/tab_softmax_properties.py"),
    output:
        tex=f"{GENERATED}/tables/softmax_properties.tex",
        html=shown(f"{REPORT_TABLES}/softmax_properties.html", "Layer A.1 - what softmax constrains"),
    log:
        f"{LOGS}/tabulate_softmax_properties.log",
    params:
        caption=script_doc("workflow/scripts/tab_softmax_properties.py"),
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/tab_softmax_properties.py"


rule write_softmax_macros:
    input:
        sharpness=result("softmax_constraints", "sharpness"),
        sharpness_meta=result("softmax_constraints", "sharpness").replace(".parquet", ".json"),
        gap=result("softmax_constraints", "gap"),
        gap_meta=result("softmax_constraints", "gap").replace(".parquet", ".json"),
        properties=result("softmax_constraints", "properties"),
        properties_meta=result("softmax_constraints", "properties").replace(".parquet", ".json"),
        lib=library_of("../scripts/macros_softmax_constraints.py"),
    output:
        tex=f"{GENERATED}/macros/softmax_constraints.tex",
        values=f"{GENERATED}/values/softmax_constraints.json",
    log:
        f"{LOGS}/write_softmax_macros.log",
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/macros_softmax_constraints.py"
