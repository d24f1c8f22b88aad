# Layer A.2, expressivity: what attention can express, each against its published limit.


# The section's measurements (anatomy.pipeline.measurements); measurement_rules.smk makes one rule
# of each.
MEASUREMENT_RULES.update(
    {
        "parity_construction": measurement("expressivity", "parity"),
        "rank_collapse_depth": measurement("expressivity", "rank_collapse"),
        "rank_collapse_scale": measurement("expressivity", "rank_collapse_scale"),
        "rasp_reverse": measurement("expressivity", "rasp"),
        "lipschitz_scale": measurement("expressivity", "lipschitz"),
        "flip_sensitivity": measurement("expressivity", "sensitivity"),
        "hopfield_beta": measurement("expressivity", "hopfield"),
    }
)


# figure -> the table it draws
EXPRESSIVITY_FIGURES = {
    "parity_margin": "parity",
    "rank_collapse": "rank_collapse",
    "rank_collapse_scale": "rank_collapse_scale",
    "rasp_reverse": "rasp",
    "lipschitz": "lipschitz",
    "flip_sensitivity": "sensitivity",
    "hopfield": "hopfield",
}
PAPER_ASSETS["expressivity"] = [f"figures/{name}.pdf" for name in EXPRESSIVITY_FIGURES] + [
    f"{GENERATED}/macros/expressivity.tex"
]
EXPRESSIVITY_TABLES = {
    part: result("expressivity", part)
    for part in (
        "parity",
        "rank_collapse",
        "rank_collapse_scale",
        "rasp",
        "lipschitz",
        "sensitivity",
        "hopfield",
    )
}


rule plot_expressivity:
    # One script per figure; this rule draws whichever the wildcard names.
    input:
        table=lambda w: result("expressivity", EXPRESSIVITY_FIGURES[w.figure]),
        script="workflow/scripts/fig_{figure}.py",
        lib=library_of("../scripts/fig_{wildcards.figure}.py"),
    output:
        pdf="figures/{figure}.pdf",
        png=shown("figures/{figure}.png", "Layer A.2 - what attention can express"),
    log:
        f"{LOGS}/plot_{{figure}}.log",
    wildcard_constraints:
        figure="|".join(EXPRESSIVITY_FIGURES),
    params:
        caption=lambda w: script_doc(f"workflow/scripts/fig_{w.figure}.py"),
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/fig_{wildcards.figure}.py"


rule write_expressivity_macros:
    input:
        tables=list(EXPRESSIVITY_TABLES.values()),
        lib=library_of("../scripts/macros_expressivity.py"),
    output:
        tex=f"{GENERATED}/macros/expressivity.tex",
        values=f"{GENERATED}/values/expressivity.json",
    log:
        f"{LOGS}/write_expressivity_macros.log",
    params:
        tables=EXPRESSIVITY_TABLES,
        settings=config["expressivity"],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/macros_expressivity.py"
