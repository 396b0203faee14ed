"""Memory items and their validation.

One validation path for everything that enters the store (the REST service, the
``world2vec load`` command, Python callers), so a bad item gets the same clear
message wherever it comes from. Vectors are L2-normalised here, at the boundary,
so inner product inside FAISS *is* cosine similarity.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

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
    def from_dict(cls, obj: Any, position: int | None = None) -> "Item":
        """Build an item from its JSON form, checking every field's type.

        Raises :class:`ValidationError` naming the item (its id, or its position in
        the batch) and the field at fault. Unknown fields are refused rather than
        silently dropped, so a typo such as ``"tag"`` is noticed.
        """
        where = _where(position, obj.get("id") if isinstance(obj, Mapping) else None)
        if not isinstance(obj, Mapping):
            raise ValidationError(f"{where}: an item must be a JSON object, got {_type_name(obj)}",
                                  position=position)
        unknown = sorted(set(obj) - ITEM_FIELDS)
        if unknown:
            raise ValidationError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
                                  f"expected some of {sorted(ITEM_FIELDS)}", position=position)
        item_id = obj.get("id")
        if item_id is None:
            item_id = new_id()
        _check_id(item_id, where, position)
        kind = obj.get("kind", "fact")
        if not isinstance(kind, str) or not kind or len(kind) > MAX_TAG_LENGTH:
            raise ValidationError(f"{where}: 'kind' must be a non-empty string", position, item_id)
        text = obj.get("text")
        if text is not None and not isinstance(text, str):
            raise ValidationError(f"{where}: 'text' must be a string", position, item_id)
        answer = obj.get("answer")
        if answer is not None and not isinstance(answer, str):
            raise ValidationError(f"{where}: 'answer' must be a string", position, item_id)
        tags = obj.get("tags", [])
        if tags is None:
            tags = []
        if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= MAX_TAG_LENGTH
                                                 for t in tags):
            raise ValidationError(f"{where}: 'tags' must be a list of non-empty strings",
                                  position, item_id)
        payload = obj.get("payload", {})
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise ValidationError(f"{where}: 'payload' must be a JSON object", position, item_id)
        _check_json(payload, f"{where}: payload", position, item_id)
        created_at = obj.get("created_at", 0.0)
        if isinstance(created_at, bool) or not isinstance(created_at, (int, float)) \
                or not math.isfinite(created_at):
            raise ValidationError(f"{where}: 'created_at' must be a number (unix seconds)",
                                  position, item_id)
        vector = obj.get("vector")
        if vector is not None:
            vector = _to_array(vector, where, position, item_id)
        return cls(id=item_id, kind=kind, text=text, vector=vector, tags=list(dict.fromkeys(tags)),
                   payload=payload, answer=answer, created_at=float(created_at))

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


def _check_json(value: Any, where: str, position: int | None, item_id: str, depth: int = 0) -> None:
    """Payloads are stored as msgpack and served as JSON: allow only JSON values."""
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


def coerce_items(items: Iterable[Item | Mapping], dim: int, now: float | None = None
                 ) -> tuple[list[Item], np.ndarray]:
    """Validate a whole batch before anything is written.

    Returns the items (with generated ids and ``created_at`` filled) and their unit
    vectors as one ``(n, dim)`` float32 matrix. The first bad item raises
    :class:`ValidationError` with its position and id, and nothing is written. A batch
    naming the same id twice is refused too: which copy should win would be a guess.
    """
    if isinstance(items, (Item, Mapping, str, bytes)):
        raise ValidationError("items must be a list of items")
    now = time.time() if now is None else now
    out: list[Item] = []
    seen: dict[str, int] = {}
    try:
        iterator = list(items)
    except TypeError:
        raise ValidationError("items must be a list of items") from None
    matrix = np.empty((len(iterator), dim), dtype=np.float32)
    for position, raw in enumerate(iterator):
        item = raw if isinstance(raw, Item) else Item.from_dict(raw, position)
        where = _where(position, item.id)
        if isinstance(raw, Item):
            _check_id(item.id, where, position)
            if not isinstance(item.kind, str) or not item.kind:
                raise ValidationError(f"{where}: 'kind' must be a non-empty string", position, item.id)
            if not isinstance(item.payload, dict):
                raise ValidationError(f"{where}: 'payload' must be a JSON object", position, item.id)
            _check_json(item.payload, f"{where}: payload", position, item.id)
            if not isinstance(item.tags, list) or not all(isinstance(t, str) and t for t in item.tags):
                raise ValidationError(f"{where}: 'tags' must be a list of non-empty strings",
                                      position, item.id)
        if item.vector is None:
            raise ValidationError(f"{where}: no 'vector' (give a vector, or text for the service "
                                  f"to encode)", position, item.id)
        if item.id in seen:
            raise ValidationError(f"{where}: id {item.id!r} appears twice in the batch "
                                  f"(first at item {seen[item.id]})", position, item.id)
        seen[item.id] = position
        matrix[position] = normalize_vector(item.vector, dim, where, position, item.id)
        out.append(Item(id=item.id, kind=item.kind, text=item.text, vector=matrix[position],
                        tags=list(dict.fromkeys(item.tags)), payload=item.payload,
                        answer=item.answer, created_at=item.created_at or now))
    return out, matrix


def as_query(vector: Any, dim: int) -> np.ndarray:
    """A search vector as a unit ``(1, dim)`` float32 row (same checks as stored vectors)."""
    return normalize_vector(vector, dim, "query").reshape(1, dim)


def check_k(k: Any, upper: int = 100_000) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= int(k) <= upper:
        raise ValidationError(f"k must be an integer from 1 to {upper}, got {k!r}")
    return int(k)


def ids_of(ids: Sequence[Any]) -> list[str]:
    if isinstance(ids, (str, bytes)):
        raise ValidationError("ids must be a list of strings")
    out = list(ids)
    for position, item_id in enumerate(out):
        if not isinstance(item_id, str) or not item_id:
            raise ValidationError(f"id {position} must be a non-empty string", position)
    return out
