"""Running the note: the job context, settings, dependencies, GPUs, budgets, notebooks, clusters,
builds."""
