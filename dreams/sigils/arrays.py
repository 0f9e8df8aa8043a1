"""Array plumbing shared by the vectorized geometry."""

from __future__ import annotations

import numpy as np


def expand(
    starts: np.ndarray, counts: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each item, ``counts`` consecutive values from ``starts``, each tagged by label."""
    label = np.repeat(labels, counts)
    offset = np.arange(len(label)) - np.repeat(np.cumsum(counts) - counts, counts)
    return label, np.repeat(starts, counts) + offset
