# The note: generated LaTeX glue (profile banner, section list) and the PDF build.


rule write_profile_banner:
    output:
        tex=f"{GENERATED}/profile.tex",
    log:
        f"{LOGS}/write_profile_banner.log",
    params:
        profile=config["profile"],
    script:
        "../scripts/write_profile_banner.py"


rule write_section_list:
    output:
        tex=f"{GENERATED}/sections.tex",
    log:
        f"{LOGS}/write_section_list.log",
    params:
        experiments=config["experiments"],
    script:
        "../scripts/write_section_list.py"


rule compile_note:
    input:
        main="paper/main.tex",
        sections=sorted(glob("paper/sections/*.tex")),
        bib="paper/refs.bib",
        profile=rules.write_profile_banner.output.tex,
        section_list=rules.write_section_list.output.tex,
        assets=[asset for name in config["experiments"] for asset in PAPER_ASSETS[name]],
    output:
        pdf=NOTE_PDF,
    log:
        f"{LOGS}/compile_note.log",
    benchmark:
        f"{BENCHMARKS}/compile_note.tsv"
    script:
        "../scripts/build_pdf.py"
