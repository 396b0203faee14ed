"""Checks and rules the Milvus store applies exactly as the embedded store does: a batch's
vectors by metric, a query vector, a search window (k, offset, score threshold), a patch.

Why here and not imported: the embedded store's versions with metrics, windows and
patches (``coerce_items(normalize=...)``, ``searching.make_window``, ``ops/patching.py``)
are being added beside this backend; these follow the same rules, and use the shared
helpers where they already exist, so both backends answer the same. Once both are in,
these can become imports.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from world2vec.memory.errors import ValidationError
from world2vec.memory.items import Item, as_query, check_k, coerce_items

METRICS = ("cosine", "dot", "l2")
_COERCE_NORMALIZES = "normalize" in inspect.signature(coerce_items).parameters


def check_metric(metric: Any) -> str:
    if metric not in METRICS:
        raise ValidationError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    return str(metric)


def checked_batch(items: Iterable[Item | Mapping], dim: int, metric: str
                  ) -> tuple[list[Item], np.ndarray]:
    """The validated items and the vectors to store: unit rows for cosine, as given else."""
    if metric == "cosine" or _COERCE_NORMALIZES:
        kwargs = {} if metric == "cosine" else {"normalize": False}
        return coerce_items(items, dim, **kwargs)
    items = list(items) if not isinstance(items, (Item, dict, str, bytes)) else items
    batch, _ = coerce_items(items, dim)          # every check; the unit vectors are dropped
    raw = np.empty((len(batch), dim), dtype=np.float32)
    for row, given in enumerate(items):
        vector = given.vector if isinstance(given, Item) else given["vector"]
        raw[row] = np.asarray(vector, dtype=np.float32).reshape(-1)
    for item, vector in zip(batch, raw):
        item.vector = vector
    return batch, raw


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


@dataclass(frozen=True)
class Window:
    """Which hits of a ranking a search returns: skip ``offset``, keep ``k``, drop those
    scoring under ``threshold`` (for l2, scores are negative distances)."""

    k: int
    offset: int = 0
    threshold: float | None = None

    @property
    def fetch(self) -> int:
        return self.k + self.offset

    def cut(self, pairs: Sequence[Any], score: Any) -> list:
        kept = list(pairs)[self.offset: self.offset + self.k]
        if self.threshold is not None:
            kept = [p for p in kept if score(p) >= self.threshold]
        return kept


def make_window(k: Any, offset: Any = 0, threshold: Any = None) -> Window:
    k = check_k(k)
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) \
            or not 0 <= int(offset) <= 100_000 - k:
        raise ValidationError(f"offset must be an integer from 0 to {100_000 - k}, got {offset!r}")
    if threshold is not None and (isinstance(threshold, bool)
                                  or not isinstance(threshold, (int, float, np.floating))
                                  or not math.isfinite(threshold)):
        raise ValidationError(f"score_threshold must be a finite number, got {threshold!r}")
    return Window(k, int(offset), None if threshold is None else float(threshold))


def patched(item: Item, payload: Mapping[str, Any] | None, tags: Sequence[str] | None,
            kind: str | None, answer: str | None) -> Item:
    """``item`` with a patch applied: ``payload`` merged (keys given replace theirs), the
    others replaced; checked as an item from JSON is; vector and created_at kept."""
    if payload is None and tags is None and kind is None and answer is None:
        raise ValidationError("a patch needs at least one of payload, tags, kind or answer")
    if payload is not None and not isinstance(payload, Mapping):
        raise ValidationError("patch: 'payload' must be a JSON object")
    fields: dict[str, Any] = {
        "id": item.id, "kind": item.kind if kind is None else kind,
        "tags": list(item.tags) if tags is None else tags,
        "payload": {**item.payload, **payload} if payload is not None else dict(item.payload),
        "created_at": item.created_at}
    for name, value in (("text", item.text), ("answer", item.answer if answer is None else answer)):
        if value is not None:
            fields[name] = value
    checked = Item.from_dict(fields)
    checked.vector = item.vector
    return checked
