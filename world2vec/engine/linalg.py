"""Row normalization for numpy matrices: the one helper every layer uses.

Why one helper: cosine similarity is a dot product of unit rows, so word vectors,
sentence and object encodings, relation maps and freshly trained matrices are all
normalized the same way. Written once, a zero row stays zero (it is divided by a
tiny floor instead of by 0) and a large memory-mapped matrix is read in blocks, so
it never needs a second full-size temporary beside the result.
(The differentiable normalization of a Tensor is built from Tensor ops where a
model needs one.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["unit_rows"]

#: Norms below this are treated as this: a zero row stays a zero row.
NORM_FLOOR = 1e-12


def unit_rows(matrix: Any, block: int | None = 65536, dtype: Any = np.float32) -> np.ndarray:
    """Each row of a 2-D ``matrix`` scaled to length 1, as a new ``dtype`` array.

    Norms are computed in the wider of the input's and ``dtype``'s precision (so
    float16 storage is normalized in float32, and a float64 request gets float64
    arithmetic throughout). ``block`` rows are processed at a time (None: all at
    once); the result does not depend on it.
    """
    if not isinstance(matrix, np.ndarray):   # a memmap is one, and stays on disk
        matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"unit_rows needs a 2-D matrix, got shape {matrix.shape}")
    work = np.result_type(matrix.dtype, dtype, np.float32)
    out = np.empty(matrix.shape, dtype=dtype)
    step = len(matrix) if block is None else int(block)
    for start in range(0, len(matrix), max(step, 1)):
        part = np.asarray(matrix[start:start + step], dtype=work)
        norms = np.linalg.norm(part, axis=1, keepdims=True)
        out[start:start + step] = part / np.maximum(norms, NORM_FLOOR)
    return out
