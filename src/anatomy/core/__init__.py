"""The seam and what every experiment shares: operators, random features, positions, the tiny
transformer, the training loop, intervals, formatting, generated shapes, reading artifacts."""
