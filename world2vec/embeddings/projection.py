"""A 2D picture of a query vector among its neighbours (principal components).

Why exact PCA on the server: numpy's SVD of 1 + k rows takes microseconds and is
exact, so a plot (the service's web page, a notebook) only has to draw the points.
"""

from __future__ import annotations

import numpy as np


def pca_2d(query: np.ndarray, points: np.ndarray) -> dict[str, list]:
    """The query and ``points`` (one row each) on their first two principal components.

    Returns ``{"query": [x, y], "points": [[x, y], ...], "explained": [r1, r2]}``:
    coordinates scaled into [-1, 1] and the share of variance each axis explains.
    Fewer than two rows, or rows all alike, give zeros.
    """
    rows = np.vstack([query.reshape(1, -1), points]).astype(np.float64)
    centred = rows - rows.mean(axis=0, keepdims=True)
    if rows.shape[0] < 2 or not np.any(centred):
        coords = np.zeros((rows.shape[0], 2))
        explained = [0.0, 0.0]
    else:
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        comps = vt[:2]
        coords = centred @ comps.T
        if coords.shape[1] < 2:
            coords = np.hstack([coords, np.zeros((coords.shape[0], 1))])
        var = s ** 2
        explained = [float(v / var.sum()) for v in var[:2]] + [0.0] * (2 - min(2, len(var)))
        scale = float(np.max(np.abs(coords))) or 1.0
        coords = coords / scale
    return {"query": [float(coords[0, 0]), float(coords[0, 1])],
            "points": [[float(x), float(y)] for x, y in coords[1:]],
            "explained": explained}
