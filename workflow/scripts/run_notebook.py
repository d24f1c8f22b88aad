"""Execute one literate notebook into .ipynb and .html, with the rule's threads."""

from pathlib import Path

from anatomy.notebooks import execute
from anatomy.runtime import snakemake_job

with snakemake_job(snakemake):
    execute(
        Path(snakemake.input.notebook),
        Path(snakemake.output.ipynb),
        Path(snakemake.output.html),
        threads=snakemake.threads,
        timeout_s=600,
    )
