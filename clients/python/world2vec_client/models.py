"""Typed results.

The service's JSON shapes (DESIGN.md) become small dataclasses so that an editor can
complete ``hit.score`` and a typo fails loudly. Fields the client does not know yet
are kept in ``extra`` rather than dropped: a newer server can add fields without
breaking an older client, and nothing the server said is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def unknown_fields(obj: Mapping[str, Any], known: Iterable[str]) -> dict[str, Any]:
    """The fields of ``obj`` a result type does not name: they go to its ``extra``."""
    known = set(known)
    return {k: v for k, v in obj.items() if k not in known}


def to_vector(value: Any) -> np.ndarray:
    """One vector from its wire form: raw little-endian float32 bytes or a list of numbers."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return np.frombuffer(bytes(value), dtype="<f4").astype(np.float32)
    return np.asarray(value, dtype=np.float32)


def to_matrix(value: Any, dim: int | None) -> np.ndarray:
    """A (n, dim) float32 matrix from JSON lists, a list of byte strings or one byte string."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        flat = np.frombuffer(bytes(value), dtype="<f4").astype(np.float32)
        if dim:
            return flat.reshape(-1, dim)
        return flat.reshape(1, -1) if flat.size else flat.reshape(0, 0)
    rows = [to_vector(v) for v in value]
    if not rows:
        return np.zeros((0, dim or 0), dtype=np.float32)
    return np.stack(rows).astype(np.float32, copy=False)


@dataclass
class Hit:
    """One ranked result: a concept (its id is the word itself) or a stored memory
    (then ``tags``, ``payload`` and, for a ``qa`` item, ``answer`` are filled;
    ``vector`` when the search asked for ``with_vectors``)."""

    id: str
    score: float
    kind: str | None = None
    text: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    answer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    vector: np.ndarray | None = None  # last, so positional construction stays as it was

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Hit:
        vector = obj.get("vector")
        return cls(id=str(obj["id"]), score=float(obj["score"]), kind=obj.get("kind"),
                   text=obj.get("text"), payload=dict(obj.get("payload") or {}),
                   tags=list(obj.get("tags") or []), answer=obj.get("answer"),
                   extra=unknown_fields(obj, ("id", "score", "kind", "text", "payload", "tags",
                                     "answer", "vector")),
                   vector=None if vector is None else to_vector(vector))


class Hits(list):
    """A list of :class:`Hit` that also keeps the answer's other top-level fields.

    ``info`` holds them, e.g. ``{"synthesized": True}`` when the query concept was
    unseen and built from subwords, or the parsed terms of a /compose expression.
    """

    def __init__(self, hits: Iterable[Hit] = (), info: Mapping[str, Any] | None = None) -> None:
        super().__init__(hits)
        self.info: dict[str, Any] = dict(info or {})

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Hits:
        return cls((Hit.from_json(r) for r in obj.get("results") or []),
                   unknown_fields(obj, ("results",)))

    @property
    def ids(self) -> list[str]:
        """The ids in rank order (handy for ``"queen" in hits.ids``)."""
        return [h.id for h in self]


@dataclass
class Item:
    """A stored memory as ``get`` returns it; ``vector`` only when the server sent it."""

    id: str
    kind: str = "fact"
    text: str | None = None
    tags: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)
    answer: str | None = None
    created_at: float | None = None
    vector: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Item:
        vector = obj.get("vector")
        return cls(id=str(obj["id"]), kind=obj.get("kind") or "fact", text=obj.get("text"),
                   tags=list(obj.get("tags") or []), payload=dict(obj.get("payload") or {}),
                   answer=obj.get("answer"), created_at=obj.get("created_at"),
                   vector=None if vector is None else to_vector(vector),
                   extra=unknown_fields(obj, ("id", "kind", "text", "tags", "payload", "answer",
                                     "created_at", "vector")))


@dataclass
class Page:
    """One page of a scroll: its items and the cursor of the next page (None at the end).

    Iterating a page iterates its items; ``iter_items`` follows the cursors for you.
    """

    items: list[Item]
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def last(self) -> bool:
        """True on the final page (there is no cursor to follow)."""
        return self.next_cursor is None

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Page:
        cursor = obj.get("next_cursor")
        return cls([Item.from_json(i) for i in obj.get("items") or []],
                   None if cursor is None or cursor == "" else cursor)


@dataclass
class Fetched:
    """What ``get_many`` found: the stored items, and the ids that match none."""

    items: list[Item]
    missing: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Fetched:
        return cls([Item.from_json(i) for i in obj.get("items") or []],
                   [str(i) for i in obj.get("missing") or []])


@dataclass
class Answer:
    """One /qa answer: the memory it came from, the answer text, its score, the support."""

    id: str
    answer: str | None
    score: float
    support: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Answer:
        return cls(id=str(obj["id"]), answer=obj.get("answer"), score=float(obj["score"]),
                   support=[str(s) for s in obj.get("support") or []],
                   extra=unknown_fields(obj, ("id", "answer", "score", "support")))


@dataclass
class FilterDecision:
    """The /filter verdict on one text: ``allow``, ``block`` or ``neutral``.

    ``score`` is the similarity that decided it and ``concept`` the allow/block concept
    that decided (None when the text was neutral). ``scores`` is the server's full
    breakdown, ``{"allow": {concept: score}, "block": {concept: score}}``.
    """

    text: str | None
    decision: str
    score: float | None = None
    concept: str | None = None
    scores: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        return self.decision == "block"

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], text: str | None = None) -> FilterDecision:
        score = obj.get("score")
        scores = obj.get("scores") if isinstance(obj.get("scores"), Mapping) else {}
        text = obj.get("text", text)
        return cls(text=text, decision=str(obj.get("decision")),
                   score=None if score is None else float(score), concept=obj.get("concept"),
                   scores=dict(scores), extra=unknown_fields(obj, ("text", "decision", "score", "concept",
                                                          "scores")))


@dataclass
class Health:
    """/health: ``status`` ("ok" when serving), the model's name and dimension, item count."""

    status: str
    model: str | None
    dim: int | None
    items: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Health:
        dim, items = obj.get("dim"), obj.get("items")
        return cls(status=str(obj.get("status")), model=obj.get("model"),
                   dim=None if dim is None else int(dim), items=None if items is None else int(items),
                   extra=unknown_fields(obj, ("status", "model", "dim", "items")))
