"""Performance ratings drawn from latent performance (shared by the engine and
the initial population)."""

from __future__ import annotations

import numpy as np


def draw_ratings(
    rng: np.random.Generator, theta: np.ndarray, signal: float, cuts: tuple[float, ...]
) -> np.ndarray:
    """Ratings 1-5 from the latent performance plus noise (unit variance)."""
    score = signal * theta + np.sqrt(1 - signal**2) * rng.normal(0, 1, len(theta))
    return 1 + np.searchsorted(np.array(cuts), score).astype(np.int64)
