"""The enabled experiments' numbers (macros.tex, read before the abstract) and their sections
(sections.tex), in config order."""

from pathlib import Path

from anatomy.pipeline.runtime import snakemake_job

with snakemake_job(snakemake):
    experiments = snakemake.params.experiments
    header = "% written by write_section_list: one line per enabled experiment\n"
    Path(snakemake.output.macros).write_text(
        header + "".join(rf"\input{{generated/macros/{name}}}" + "\n" for name in experiments)
    )
    Path(snakemake.output.tex).write_text(
        header + "".join(rf"\input{{sections/{name}}}" + "\n" for name in experiments)
    )
