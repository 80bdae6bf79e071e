"""What a run's training images look like in a few numbers (core/data/image-stats.ts): per
image the mean colour of each cell of a 4 x 4 grid and the mean change between neighbouring
pixels; over a set their mean, spread and the distance beyond which an image is unlike them.
Checkpoints record it (meta.trainedOn) so the studio can warn when a module is fed other images."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Sequence

import numpy as np

GRID = 4
FEATURE_COUNT = GRID * GRID * 3 + 1


def image_features(image: np.ndarray) -> List[float]:
    """Features of one square HxWx3 image in [-1, 1]."""
    size = image.shape[0]
    x = image.astype(np.float64)
    cells = np.minimum(GRID - 1, (np.arange(size) * GRID) // size)
    out = [0.0] * FEATURE_COUNT
    for gy in range(GRID):
        for gx in range(GRID):
            block = x[cells == gy][:, cells == gx]
            count = max(1, block.shape[0] * block.shape[1])
            for c in range(3):
                out[(gy * GRID + gx) * 3 + c] = float(block[:, :, c].sum()) / count
    edges = float(np.abs(x[:, 1:, :] - x[:, :-1, :]).sum())
    out[FEATURE_COUNT - 1] = edges / max(1, size * (size - 1) * 3)
    return out


def distance_from(mean: Sequence[float], std: Sequence[float], features: Sequence[float]) -> float:
    total = 0.0
    for j in range(FEATURE_COUNT):
        total += ((features[j] - mean[j]) / max(std[j], 0.05)) ** 2
    return math.sqrt(total / FEATURE_COUNT)


def image_stats(features: Sequence[Sequence[float]]) -> Dict[str, Any]:
    count = len(features)
    mean = [sum(f[j] for f in features) / max(1, count) for j in range(FEATURE_COUNT)]
    std = [math.sqrt(sum((f[j] - mean[j]) ** 2 for f in features) / max(1, count)) for j in range(FEATURE_COUNT)]
    farthest = max([0.0] + [distance_from(mean, std, f) for f in features])
    return {"count": count, "mean": mean, "std": std, "limit": max(2.0, 1.15 * farthest)}
