# The note's figures and tables: two generic rules make every one that an experiment's rules
# file declared (declare("figure" | "table", name, experiment, ...), common.smk). Included
# after every experiment's rules file, so that the wildcards know every name.


rule figure:
    # figures/<name>.pdf (+ .png for the report) with workflow/scripts/fig_<name>.py.
    input:
        unpack(lambda w: FIGURES[w.figure]["inputs"]),
        script="workflow/scripts/fig_{figure}.py",
        lib=library_of("../scripts/fig_{wildcards.figure}.py"),
    output:
        pdf="figures/{figure}.pdf",
        png=shown(
            "figures/{figure}.png",
            lambda w: REPORT_CATEGORIES[FIGURES[w.figure]["experiment"]],
        ),
    log:
        f"{LOGS}/plot_{{figure}}.log",
    wildcard_constraints:
        figure="|".join(FIGURES),
    params:
        caption=lambda w: script_doc(f"workflow/scripts/fig_{w.figure}.py"),
        settings=lambda w: FIGURES[w.figure]["settings"],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/fig_{wildcards.figure}.py"


rule table:
    # paper/generated/tables/<name>.tex (+ .html for the report) with
    # workflow/scripts/tab_<name>.py.
    input:
        unpack(lambda w: TABLES[w.table]["inputs"]),
        script="workflow/scripts/tab_{table}.py",
        lib=library_of("../scripts/tab_{wildcards.table}.py"),
    output:
        tex=f"{GENERATED}/tables/{{table}}.tex",
        html=shown(
            f"{REPORT_TABLES}/{{table}}.html",
            lambda w: REPORT_CATEGORIES[TABLES[w.table]["experiment"]],
        ),
    log:
        f"{LOGS}/tabulate_{{table}}.log",
    wildcard_constraints:
        table="|".join(TABLES),
    params:
        caption=lambda w: script_doc(f"workflow/scripts/tab_{w.table}.py"),
        settings=lambda w: TABLES[w.table]["settings"],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/tab_{wildcards.table}.py"
