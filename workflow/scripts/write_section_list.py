"""The sections of the enabled experiments, in config order, each with its macros first."""

from pathlib import Path

lines = ["% written by write_section_list: one block per enabled experiment"]
for name in snakemake.params.experiments:
    lines += [rf"\input{{generated/macros/{name}}}", rf"\input{{sections/{name}}}"]
Path(snakemake.output.tex).write_text("\n".join(lines) + "\n")
