"""Memory items and their validation.

One validation path for everything that enters the store (the REST service, the
``world2vec load`` command, Python callers), so a bad item gets the same clear
message wherever it comes from. Vectors are L2-normalized here, at the boundary,
so inner product inside FAISS *is* cosine similarity.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from world2vec.memory.errors import ValidationError

MAX_ID_LENGTH = 512
MAX_TAG_LENGTH = 256
ITEM_FIELDS = frozenset({"id", "text", "vector", "kind", "tags", "payload", "answer", "created_at"})


def new_id() -> str:
    """A fresh random item id (uuid4 hex), used when the caller gives none."""
    return uuid.uuid4().hex


@dataclass
class Item:
    """One stored memory.

    ``vector`` is a unit float32 array of the store's dimension once stored; an
    item built from JSON with only ``text`` has ``vector=None`` until an encoder
    fills it (the service and the load command do that).
    """

    id: str
    kind: str = "fact"
    text: str | None = None
    vector: np.ndarray | None = None
    tags: list[str] = field(default_factory=list)
    payload: dict = field(default_factory=dict)
    answer: str | None = None
    created_at: float = 0.0

    @classmethod
    def from_dict(cls, obj: Any, position: int | None = None) -> Item:
        """Build an item from its JSON form, checking every field's type.

        Raises :class:`ValidationError` naming the item (its id, or its position in
        the batch) and the field at fault. Unknown fields are refused rather than
        silently dropped, so a typo such as ``"tag"`` is noticed.
        """
        if not isinstance(obj, dict):
            raise ValidationError(f"{_where(position, None)}: an item must be a JSON object, "
                                  f"got {_type_name(obj)}", position=position)
        item_id = obj.get("id")

        def fail(message: str) -> ValidationError:
            known = item_id if isinstance(item_id, str) else None
            return ValidationError(f"{_where(position, known)}: {message}", position, known)

        if not obj.keys() <= ITEM_FIELDS:
            unknown = sorted(set(obj) - ITEM_FIELDS)
            raise fail(f"unknown field(s) {', '.join(map(repr, unknown))}; "
                       f"expected some of {sorted(ITEM_FIELDS)}")
        if item_id is None:
            item_id = new_id()
        elif type(item_id) is not str or not item_id or len(item_id) > MAX_ID_LENGTH:
            _check_id(item_id, _where(position, item_id), position)
        kind = obj.get("kind", "fact")
        if type(kind) is not str or not kind or len(kind) > MAX_TAG_LENGTH:
            raise fail("'kind' must be a non-empty string")
        text = obj.get("text")
        if text is not None and type(text) is not str:
            raise fail("'text' must be a string")
        answer = obj.get("answer")
        if answer is not None and type(answer) is not str:
            raise fail("'answer' must be a string")
        tags = obj.get("tags")
        if tags is None:
            tags = []
        elif type(tags) is not list or not all(type(t) is str and 0 < len(t) <= MAX_TAG_LENGTH
                                               for t in tags):
            raise fail("'tags' must be a list of non-empty strings")
        elif len(tags) > 1:
            tags = list(dict.fromkeys(tags))
        else:
            tags = list(tags)
        payload = obj.get("payload")
        if payload is None:
            payload = {}
        elif type(payload) is not dict:
            raise fail("'payload' must be a JSON object")
        elif payload:
            _check_json(payload, f"{_where(position, item_id)}: payload", position, item_id)
        created_at = obj.get("created_at", 0.0)
        if type(created_at) not in (int, float) or not math.isfinite(created_at):
            raise fail("'created_at' must be a number (unix seconds)")
        vector = obj.get("vector")
        if vector is not None:
            vector = _to_array(vector, _where(position, item_id), position, item_id)
        return cls(item_id, kind, text, vector, tags, payload, answer, float(created_at))

    def to_dict(self, vector: bool = False) -> dict:
        """The JSON form (DESIGN.md's item); the vector only when asked (it is large)."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "text": self.text,
                               "tags": list(self.tags), "payload": self.payload,
                               "answer": self.answer, "created_at": self.created_at}
        if vector and self.vector is not None:
            out["vector"] = [float(x) for x in np.asarray(self.vector, dtype=np.float32)]
        return out


@dataclass
class Hit:
    """One search result: the item's id, its cosine similarity, and the item itself."""

    id: str
    score: float
    item: Item


def _where(position: int | None, item_id: Any) -> str:
    parts = []
    if position is not None:
        parts.append(f"item {position}")
    if isinstance(item_id, str) and item_id:
        parts.append(f"(id {item_id!r})")
    return " ".join(parts) or "item"


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", int: "number", float: "number",
            bool: "boolean", type(None): "null"}.get(type(value), type(value).__name__)


def _check_id(item_id: Any, where: str, position: int | None) -> None:
    if not isinstance(item_id, str) or not item_id:
        raise ValidationError(f"{where}: 'id' must be a non-empty string", position)
    if len(item_id) > MAX_ID_LENGTH:
        raise ValidationError(f"{where}: 'id' is longer than {MAX_ID_LENGTH} characters",
                              position, item_id)


_FLAT_JSON = (str, int, bool, type(None))


def _check_json(value: Any, where: str, position: int | None, item_id: str, depth: int = 0) -> None:
    """Payloads are stored as msgpack and served as JSON: allow only JSON values."""
    if depth == 0 and type(value) is dict and all(type(k) is str and type(v) in _FLAT_JSON
                                                  for k, v in value.items()):
        return                                     # the common flat payload: nothing to check
    if depth > 32:
        raise ValidationError(f"{where}: nested too deeply", position, item_id)
    if value is None or isinstance(value, (bool, str, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{where}: numbers must be finite", position, item_id)
        return
    if isinstance(value, list):
        for v in value:
            _check_json(v, where, position, item_id, depth + 1)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValidationError(f"{where}: object keys must be strings", position, item_id)
            _check_json(v, where, position, item_id, depth + 1)
        return
    raise ValidationError(f"{where}: {_type_name(value)} is not a JSON value", position, item_id)


def _to_array(vector: Any, where: str, position: int | None, item_id: str | None) -> np.ndarray:
    if isinstance(vector, np.ndarray):
        if vector.dtype.kind not in "fiu":
            raise ValidationError(f"{where}: 'vector' must hold numbers", position, item_id)
        arr = vector.astype(np.float32, copy=False).reshape(-1) if vector.ndim else None
        if arr is None:
            raise ValidationError(f"{where}: 'vector' must be a list of numbers", position, item_id)
        return arr
    if not isinstance(vector, (list, tuple)) or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector):
        raise ValidationError(f"{where}: 'vector' must be a list of numbers", position, item_id)
    return np.asarray(vector, dtype=np.float32)


def normalize_vector(vector: Any, dim: int, what: str = "vector",
                     position: int | None = None, item_id: str | None = None) -> np.ndarray:
    """Check a vector's dimension and values and return it as a unit float32 row.

    A zero vector has no direction, so cosine similarity is undefined for it: it is
    refused like NaN and inf rather than stored as garbage.
    """
    if not isinstance(vector, np.ndarray):
        vector = _to_array(vector, what, position, item_id)
    arr = np.asarray(vector, dtype=np.float32).reshape(-1)
    if arr.shape[0] != dim:
        raise ValidationError(f"{what}: vector has dimension {arr.shape[0]}, the store's is {dim}",
                              position, item_id)
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{what}: vector contains NaN or inf", position, item_id)
    norm = float(np.linalg.norm(arr.astype(np.float64)))
    if norm == 0.0 or not math.isfinite(norm):
        raise ValidationError(f"{what}: vector is all zeros (no direction to compare)",
                              position, item_id)
    return (arr / norm).astype(np.float32)


def coerce_items(items: Iterable[Item | Mapping], dim: int, now: float | None = None,
                 normalize: bool = True) -> tuple[list[Item], np.ndarray]:
    """Validate a whole batch before anything is written.

    Returns the items (with generated ids and ``created_at`` filled) and their unit
    vectors as one ``(n, dim)`` float32 matrix (as given, only checked finite, when not
    ``normalize``: a dot or l2 store compares the vectors themselves). The first bad item raises
    :class:`ValidationError` with its position and id, and nothing is written. A batch
    naming the same id twice is refused too: which copy should win would be a guess.
    Finiteness and norms are checked on the whole matrix at once (the hot path of a
    bulk load), then traced back to the first offending item.
    """
    if isinstance(items, (Item, dict, str, bytes)):
        raise ValidationError("items must be a list of items")
    now = time.time() if now is None else now
    try:
        sequence = list(items)
    except TypeError:
        raise ValidationError("items must be a list of items") from None
    checked: list[Item] = []
    seen: dict[str, int] = {}
    matrix = np.empty((len(sequence), dim), dtype=np.float32)
    for position, raw in enumerate(sequence):
        item = raw if isinstance(raw, Item) else Item.from_dict(raw, position)
        if isinstance(raw, Item):
            _check_item_fields(item, position)
        if item.vector is None:
            raise ValidationError(f"{_where(position, item.id)}: no 'vector' (give a vector, or "
                                  f"text for the service to encode)", position, item.id)
        vector = item.vector
        if not isinstance(vector, np.ndarray):
            vector = _to_array(vector, _where(position, item.id), position, item.id)
        if vector.size != dim:
            raise ValidationError(f"{_where(position, item.id)}: vector has dimension "
                                  f"{vector.size}, the store's is {dim}", position, item.id)
        matrix[position] = vector.reshape(-1)
        if item.id in seen:
            raise ValidationError(f"{_where(position, item.id)}: id {item.id!r} appears twice in "
                                  f"the batch (first at item {seen[item.id]})", position, item.id)
        seen[item.id] = position
        checked.append(item)
    finite = np.isfinite(matrix).all(axis=1)
    norms = np.linalg.norm(matrix.astype(np.float64), axis=1) if len(matrix) else np.zeros(0)
    if normalize:
        bad = np.flatnonzero(~finite | (norms == 0) | ~np.isfinite(norms))
    else:
        bad = np.flatnonzero(~finite | ~np.isfinite(norms))
    if bad.size:
        position = int(bad[0])
        item = checked[position]
        problem = "contains NaN or inf" if not finite[position] else \
            "is all zeros (no direction to compare)"
        raise ValidationError(f"{_where(position, item.id)}: vector {problem}", position, item.id)
    if normalize and len(matrix):
        matrix = (matrix / norms[:, None]).astype(np.float32)
    out = [Item(id=it.id, kind=it.kind, text=it.text, vector=matrix[i], tags=it.tags,
                payload=it.payload, answer=it.answer, created_at=it.created_at or now)
           for i, it in enumerate(checked)]
    return out, matrix


def _check_item_fields(item: Item, position: int) -> None:
    """An Item built in Python skipped from_dict: check its fields the same way."""
    where = _where(position, item.id)
    _check_id(item.id, where, position)
    if not isinstance(item.kind, str) or not item.kind:
        raise ValidationError(f"{where}: 'kind' must be a non-empty string", position, item.id)
    for name in ("text", "answer"):
        if getattr(item, name) is not None and not isinstance(getattr(item, name), str):
            raise ValidationError(f"{where}: '{name}' must be a string", position, item.id)
    if not isinstance(item.payload, dict):
        raise ValidationError(f"{where}: 'payload' must be a JSON object", position, item.id)
    _check_json(item.payload, f"{where}: payload", position, item.id)
    if not isinstance(item.tags, list) or not all(isinstance(t, str) and t for t in item.tags):
        raise ValidationError(f"{where}: 'tags' must be a list of non-empty strings",
                              position, item.id)
    item.tags = list(dict.fromkeys(item.tags))


def as_query(vector: Any, dim: int, normalize: bool = True) -> np.ndarray:
    """A search vector as a unit ``(1, dim)`` float32 row (same checks as stored vectors).

    Fast path for the common case, a float32 array of the right size: one dot product
    both checks it (NaN or inf make the squared norm non-finite, a zero vector makes it
    0) and tells whether it is unit already (a stored item's vector, a model's unit
    row), so it is not normalized twice. Anything else takes the full check, which
    also names the problem. Without ``normalize`` (dot and l2 stores) the query is only
    checked: dimension and finite values.
    """
    if not normalize:
        return raw_query(vector, dim)
    if isinstance(vector, np.ndarray) and vector.dtype == np.float32 and vector.size == dim:
        row = vector.reshape(1, dim)
        sq = float(np.dot(row[0], row[0]))
        if math.isfinite(sq) and sq > 0.0:
            if abs(sq - 1.0) > 1e-5:
                row = row / np.float32(math.sqrt(sq))
            return np.ascontiguousarray(row)
    return normalize_vector(vector, dim, "query").reshape(1, dim)


def raw_query(vector: Any, dim: int) -> np.ndarray:
    """A query used as given, as a ``(1, dim)`` float32 row: right size, finite values."""
    if not isinstance(vector, np.ndarray):
        vector = _to_array(vector, "query", None, None)
    arr = np.asarray(vector, dtype=np.float32).reshape(-1)
    if arr.shape[0] != dim:
        raise ValidationError(f"query: vector has dimension {arr.shape[0]}, the store's is {dim}")
    if not np.all(np.isfinite(arr)):
        raise ValidationError("query: vector contains NaN or inf")
    return np.ascontiguousarray(arr.reshape(1, dim))


def check_k(k: Any, upper: int = 100_000, name: str = "k", lower: int = 1) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not lower <= int(k) <= upper:
        raise ValidationError(f"{name} must be an integer from {lower} to {upper}, got {k!r}")
    return int(k)


def check_id_arg(item_id: Any) -> None:
    """An id given as an argument (get, patch, search_by_id) must be a string."""
    if not isinstance(item_id, str):
        raise ValidationError("id must be a string")


def ids_of(ids: Sequence[Any]) -> list[str]:
    if isinstance(ids, (str, bytes)):
        raise ValidationError("ids must be a list of strings")
    out = list(ids)
    for position, item_id in enumerate(out):
        if not isinstance(item_id, str) or not item_id:
            raise ValidationError(f"id {position} must be a non-empty string", position)
    return out
