# Layer A.1, softmax_constraints: what softmax constrains (sharpness with n; the target weight
# against its gap; structural properties of one layer).


# The section's measurements (anatomy.softmax_constraints.measurements); measurement_rules.smk
# makes one rule of each.
MEASUREMENT_RULES.update(
    {
        "softmax_sharpness": measurement("softmax_constraints", "sharpness"),
        "softmax_gap": measurement("softmax_constraints", "gap"),
        "softmax_properties": measurement("softmax_constraints", "properties"),
    }
)


REPORT_CATEGORIES["softmax_constraints"] = "Layer A.1 - what softmax constrains"
# The section's figures (each with the table it draws) and table, made by figures_and_tables.smk.
for name, part in {"softmax_sharpness": "sharpness", "softmax_gap": "gap"}.items():
    declare(
        "figure",
        name,
        "softmax_constraints",
        table=result("softmax_constraints", part),
        meta=result("softmax_constraints", part).replace(".parquet", ".json"),
    )
declare(
    "table",
    "softmax_properties",
    "softmax_constraints",
    table=result("softmax_constraints", "properties"),
)
PAPER_ASSETS["softmax_constraints"].append(f"{GENERATED}/macros/softmax_constraints.tex")


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
