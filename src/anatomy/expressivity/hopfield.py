"""Attention as one update of a modern Hopfield network (Ramsauer et al. 2021).

Stored patterns are the rows of ``K``; a state ``xi`` is updated to ``K^T softmax(beta K xi)``.
The inverse temperature ``beta`` moves retrieval from the average of all patterns (small
beta) through metastable mixtures to a single pattern (large beta). ``exp H(p)`` of the
retrieval weights counts the patterns effectively retrieved.
"""

from __future__ import annotations

import math

import pandas as pd
import torch

from anatomy.core.operators import row_entropy

DTYPE = torch.float64


def retrieve(patterns: torch.Tensor, state: torch.Tensor, beta: float):
    """One update; returns the new state ``(d,)`` and the retrieval weights ``(N,)``."""
    p = torch.softmax(beta * patterns @ state, dim=0)
    return patterns.T @ p, p


def effective_patterns(p: torch.Tensor) -> float:
    """``exp(H(p))``: 1 for a single pattern, N for the uniform average of N patterns."""
    return float(torch.exp(row_entropy(p)))


def beta_sweep(num_patterns, d: int, betas, noise: float, trials: int, seed: int) -> pd.DataFrame:
    """Long table per (N, beta, trial): effective patterns and cosine of the update to the
    pattern the query was made from (``pattern 0 + noise``). Patterns have norm sqrt(d)."""
    rows = []
    g = torch.Generator().manual_seed(seed)
    for n_patterns in num_patterns:
        for trial in range(trials):
            patterns = torch.randn(n_patterns, d, generator=g, dtype=DTYPE)
            patterns = patterns / patterns.norm(dim=1, keepdim=True) * math.sqrt(d)
            query = patterns[0] + noise * torch.randn(d, generator=g, dtype=DTYPE)
            for beta in betas:
                new, p = retrieve(patterns, query, float(beta))
                rows.append(
                    {
                        "num_patterns": n_patterns,
                        "beta": float(beta),
                        "trial": trial,
                        "effective_patterns": effective_patterns(p),
                        "cosine_to_target": float(
                            torch.nn.functional.cosine_similarity(new, patterns[0], dim=0)
                        ),
                    }
                )
    return pd.DataFrame(rows)
