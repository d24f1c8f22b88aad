"""Compile the note with latexmk; a LaTeX error stops the rule with its first file:line, and
the last PDF that built is put back (by the workflow's onerror handler)."""

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import LatexError, build_pdf, last_good_pdf

with snakemake_job(snakemake):
    try:
        build_pdf(
            snakemake.input.main,
            snakemake.output.pdf,
            log_file=snakemake.log.tex,
            numbers_file=snakemake.output.get("numbers"),
        )
    except LatexError as error:
        kept = last_good_pdf(snakemake.output.pdf)
        keep = f"; {snakemake.output.pdf} is the last good build" if kept.exists() else ""
        raise LatexError(f"LaTeX error: {error}{keep}") from None
