# The note: generated LaTeX glue (profile banner, section list) and the PDF build.


rule write_profile_banner:
    input:
        lib=library_of("../scripts/write_profile_banner.py"),
    output:
        tex=f"{GENERATED}/profile.tex",
    log:
        f"{LOGS}/write_profile_banner.log",
    params:
        profile=config["profile"],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/write_profile_banner.py"


rule write_section_list:
    input:
        lib=library_of("../scripts/write_section_list.py"),
    output:
        tex=f"{GENERATED}/sections.tex",
        macros=f"{GENERATED}/macros.tex",
    log:
        f"{LOGS}/write_section_list.log",
    params:
        experiments=config["experiments"],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/write_section_list.py"


# Published results reproduced: the anchors of anatomy.report.reproduction, read from the values
# the enabled sections' macros rules write, against tolerances fixed in the config.
REPRODUCTION_SECTIONS = [
    name
    for name in ("softmax_constraints", "expressivity", "equivalent_forms", "zoo")
    if name in config["experiments"]
]
NOTE_ASSETS = [
    f"{GENERATED}/tables/reproduction.tex",
    f"{GENERATED}/macros/reproduction.tex",
]


rule tabulate_reproduction:
    input:
        unpack(lambda w: {name: f"{GENERATED}/values/{name}.json" for name in REPRODUCTION_SECTIONS}),
        lib=library_of("../scripts/tab_reproduction.py"),
    output:
        tex=NOTE_ASSETS[0],
        macros=NOTE_ASSETS[1],
        values=f"{GENERATED}/values/reproduction.json",
    log:
        f"{LOGS}/tabulate_reproduction.log",
    params:
        caption=script_doc("workflow/scripts/tab_reproduction.py"),
        sections=REPRODUCTION_SECTIONS,
        tolerances=config["reproduction"],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/tab_reproduction.py"


rule compile_note:
    input:
        main="paper/main.tex",
        sections=sorted(glob("paper/sections/*.tex")),
        bib="paper/refs.bib",
        profile=rules.write_profile_banner.output.tex,
        section_list=rules.write_section_list.output.tex,
        macro_list=rules.write_section_list.output.macros,
        provenance=f"{GENERATED}/tables/provenance.tex",
        assets=[asset for name in config["experiments"] for asset in PAPER_ASSETS[name]],
        note_assets=NOTE_ASSETS,
        lib=library_of("../scripts/build_pdf.py"),
    output:
        pdf=shown(NOTE_PDF, "Note (the PDF)"),
        numbers=NOTE_NUMBERS,  # each figure's and table's number, for the report's labels
    log:
        job=f"{LOGS}/compile_note.log",
        tex=f"{LOGS}/compile_note.tex.log",  # latexmk's output and the TeX log
    benchmark:
        f"{BENCHMARKS}/compile_note.tsv"
    params:
        caption="The note itself, compiled from paper/ with the figures, tables and numbers above.",
    conda:
        ENVS["latex"]
    script:
        "../scripts/build_pdf.py"


# Provenance: an appendix table of every figure, table and macro file (provenance_rows).
rule write_provenance:
    input:
        lib=library_of("../scripts/write_provenance.py"),
    output:
        tex=f"{GENERATED}/tables/provenance.tex",
    log:
        f"{LOGS}/write_provenance.log",
    params:
        rows=provenance_rows(),
        # The code's commit: a prose edit (paper/) leaves it, and this table, unchanged.
        commit=git_commit(workflow.basedir, CODE_PATHS),
        profile=config["profile"],
    conda:
        ENVS["pipeline"]
    script:
        "../scripts/write_provenance.py"


rule archive_note:
    # arXiv-ready sources (TeX, .bbl, generated tables and macros, figures), checked to compile
    # on their own to the same PDF.
    input:
        pdf=NOTE_PDF,
        main="paper/main.tex",
        sections=sorted(glob("paper/sections/*.tex")),
        bib="paper/refs.bib",
        generated=[
            rules.write_profile_banner.output.tex,
            rules.write_section_list.output.tex,
            rules.write_section_list.output.macros,
            rules.write_provenance.output.tex,
            *[a for name in config["experiments"] for a in PAPER_ASSETS[name]],
            *NOTE_ASSETS,
        ],
        lib=library_of("../scripts/archive_note.py"),
    output:
        tarball=ARCHIVE,
    log:
        job=f"{LOGS}/archive_note.log",
        tex=f"{LOGS}/archive_note.tex.log",
    conda:
        ENVS["latex"]
    script:
        "../scripts/archive_note.py"
