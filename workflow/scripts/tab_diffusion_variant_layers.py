"""Table: the layer map of each model that diffusion.layer_map_variants names (the base model
at the variants' step count and the normalizer variants), by the base model's rule on every
seed: per layer, the binding that uniform maps in that layer alone cost (mean over seeds with
its 95% interval over seeds) and in how many seeds the rule finds it binding."""

from anatomy.diffusion.layer_map import variant_layer_maps, variant_layer_summary
from anatomy.diffusion.settings import DiffusionSettings
from anatomy.pipeline.runtime import snakemake_job
from anatomy.report.latex import code, tabular, with_interval, write_table

with snakemake_job(snakemake):
    analysis = DiffusionSettings.of(snakemake.params.settings).analysis
    summary = variant_layer_summary(variant_layer_maps(snakemake.input.tables, analysis))
    models = list(dict.fromkeys(summary.model))
    by = summary.set_index(["model", "layer"])
    layers = list(dict.fromkeys(summary.layer))
    header = ["layer", "res."]
    for model in models:
        header += [rf"{code(model)} cost [95\%]", "binds"]
    rows = []
    for layer in layers:
        first = by.loc[(models[0], layer)]
        row = [rf"\texttt{{{first['name']}}}", f"{first.resolution}"]
        for model in models:
            r = by.loc[(model, layer)]
            row += [with_interval(r.cost, r.cost_ci), f"{r.binding} of {r.seeds}"]
        rows.append(row)
    columns = "lr" + "rr" * len(models)
    write_table(snakemake.output, tabular(header, rows, columns))
