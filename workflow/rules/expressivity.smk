# Layer A.2, expressivity: what attention can express, each against its published limit.


# The section's measurements (anatomy.expressivity.measurements); measurement_rules.smk makes one
# rule of each.
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


REPORT_CATEGORIES["expressivity"] = "Layer A.2 - what attention can express"
# The section's figures (made by figures_and_tables.smk), each with the table it draws.
EXPRESSIVITY_FIGURES = {
    "parity_margin": "parity",
    "rank_collapse": "rank_collapse",
    "rank_collapse_scale": "rank_collapse_scale",
    "rasp_reverse": "rasp",
    "lipschitz": "lipschitz",
    "flip_sensitivity": "sensitivity",
    "hopfield": "hopfield",
}
for name, part in EXPRESSIVITY_FIGURES.items():
    declare("figure", name, "expressivity", table=result("expressivity", part))
PAPER_ASSETS["expressivity"].append(f"{GENERATED}/macros/expressivity.tex")
# The macros read every table the figures draw.
EXPRESSIVITY_TABLES = {part: result("expressivity", part) for part in EXPRESSIVITY_FIGURES.values()}


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
