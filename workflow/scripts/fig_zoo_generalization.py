"""Figure: zoo accuracy against problem size, one panel per task (shaded: training range)."""

import pandas as pd

from anatomy.pipeline.runtime import snakemake_job
from anatomy.report import plotting
from anatomy.zoo.tasks import TASKS

with snakemake_job(snakemake):
    metrics = pd.read_parquet(snakemake.input.table)
    training = {name: task.train_sizes for name, task in TASKS.items()}
    fig = plotting.zoo_metric(metrics, "accuracy", "accuracy", shade_training=training)
    plotting.save(fig, snakemake.output.pdf, snakemake.output.png)
