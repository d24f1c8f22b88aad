"""The operator zoo: tiny transformers per (operator, task, seed), their baselines and verdicts."""
