"""Execute one literate notebook into .ipynb and .html, with the rule's threads; first write
the pipeline outputs it reads, by name, where it looks for them
(anatomy.pipeline.notebooks.inputs)."""

import json
from pathlib import Path

from anatomy.pipeline.notebooks import execute
from anatomy.pipeline.runtime import snakemake_job

with snakemake_job(snakemake):
    Path(snakemake.output.inputs).write_text(json.dumps(dict(snakemake.params.inputs), indent=1))
    execute(
        Path(snakemake.input.notebook),
        Path(snakemake.output.ipynb),
        Path(snakemake.output.html),
        threads=snakemake.threads,
        timeout_s=600,
    )
