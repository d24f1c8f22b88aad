"""Fixed positional encodings, shared by the trained models and the Layer A measurements.

Kept apart from both so that the zoo's models depend on the encoding alone: an edit to a
measurement module does not retrain a model.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def sinusoidal_positions(n: int, d: int) -> Tensor:
    """The fixed positional encoding of Vaswani et al. (2017), shape ``(n, d)``, float64."""
    position = torch.arange(n, dtype=torch.float64).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))
    encoding = torch.zeros(n, d, dtype=torch.float64)
    encoding[:, 0::2] = torch.sin(position * frequency)
    encoding[:, 1::2] = torch.cos(position * frequency[: d // 2])
    return encoding
