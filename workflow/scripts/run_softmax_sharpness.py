"""Weight on one target among n items, for every registered normalizer that takes logits."""

from anatomy import operators
from anatomy.runtime import snakemake_job
from anatomy.softmax_constraints import sharpness_sweep

with snakemake_job(snakemake) as ctx:
    s = ctx.settings
    ns = [2**k for k in range(s["n_min_log2"], s["n_max_log2"] + 1)]
    table = sharpness_sweep(
        list(operators.logit_normalizers()),
        ns,
        s["gap"],
        s["noise_stds"],
        s["trials"],
        ctx.seed,
        ctx.device,
    )
    table.to_parquet(snakemake.output.table, index=False)
    ctx.write_metadata(snakemake.output.meta, rows=len(table), gap=s["gap"])
