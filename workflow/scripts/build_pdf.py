"""Compile the note with latexmk; a LaTeX error stops the rule with its first file:line."""

import sys

from anatomy.latex import LatexError, build_pdf

try:
    build_pdf(snakemake.input.main, snakemake.output.pdf, log_file=snakemake.log[0])
except LatexError as error:
    sys.exit(f"LaTeX error: {error}")
