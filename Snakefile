# Attention Anatomy: the note "Attention is a soft structural prior, not a reasoning engine".
# This file only wires: config, validation (in common.smk), one include per stage, rule all.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/default.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/softmax_constraints.smk"
include: "workflow/rules/expressivity.smk"
include: "workflow/rules/zoo.smk"
include: "workflow/rules/equivalent_forms.smk"
include: "workflow/rules/diffusion.smk"
include: "workflow/rules/vit.smk"
include: "workflow/rules/measurement_rules.smk"
include: "workflow/rules/figures_and_tables.smk"
include: "workflow/rules/notebooks.smk"
include: "workflow/rules/paper.smk"


rule all:
    input:
        final_outputs(),
    default_target: True


# With SNAKEMAKE_OUTPUT_CACHE set, the training rules are cached (--cache) without benchmarks.
drop_cached_benchmarks()
