"""Execute one literate notebook into .ipynb and .html, with the rule's threads."""

import sys
from pathlib import Path

from anatomy.notebooks import NotebookError, execute
from anatomy.runtime import setup_logging

setup_logging(snakemake.log[0])
try:
    execute(
        Path(snakemake.input.notebook),
        Path(snakemake.output.ipynb),
        Path(snakemake.output.html),
        threads=snakemake.threads,
        timeout_s=600,
    )
except NotebookError as error:
    sys.exit(str(error))
