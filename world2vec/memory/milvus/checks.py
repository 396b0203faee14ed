"""Checks the Milvus store applies exactly as the embedded store does, so both backends
answer the same: a batch's vectors by metric, a query vector, a search's window.

The rules themselves are the embedded store's (``coerce_items(normalize=...)``,
``indexes.check_metric``, ``searching.make_window``, ``ops.patching.patched``), imported;
what is left here is only what Milvus needs around them: a query row for a metric that
is not cosine, and the window applied to hits rather than to index rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from world2vec.memory.errors import ValidationError
from world2vec.memory.indexes import METRICS, check_metric
from world2vec.memory.items import Hit, Item, as_query, coerce_items
from world2vec.memory.ops.patching import patched
from world2vec.memory.searching import Window, make_window

__all__ = ["METRICS", "check_metric", "checked_batch", "cut_hits", "make_window", "patched",
           "query_row"]


def checked_batch(items: Iterable[Item | Mapping], dim: int, metric: str
                  ) -> tuple[list[Item], np.ndarray]:
    """The validated items and the vectors to store: unit rows for cosine, as given else."""
    return coerce_items(items, dim, normalize=metric == "cosine")


def cut_hits(window: Window, hits: Sequence[Hit]) -> list[Hit]:
    """The hits of one ranking (best first) that ``window`` keeps."""
    return [hit for hit, _ in window.cut(list(hits), [hit.score for hit in hits])]



def query_row(vector: Any, dim: int, metric: str) -> np.ndarray:
    """A query as a ``(dim,)`` float32 row: unit for cosine, only checked otherwise."""
    if metric == "cosine":
        return as_query(vector, dim)[0]
    arr = np.asarray(vector if isinstance(vector, np.ndarray) else _numbers(vector), np.float32)
    arr = arr.reshape(-1)
    if arr.shape[0] != dim:
        raise ValidationError(f"query: vector has dimension {arr.shape[0]}, the store's is {dim}")
    if not np.all(np.isfinite(arr)):
        raise ValidationError("query: vector contains NaN or inf")
    return arr


def _numbers(vector: Any) -> list:
    if not isinstance(vector, (list, tuple)) or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector):
        raise ValidationError("query: 'vector' must be a list of numbers")
    return list(vector)


