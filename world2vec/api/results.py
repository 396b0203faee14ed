"""Typed results of the in-process API, field for field the client's.

Why copies and not the client's classes: world2vec must not depend on the client
distribution, yet code that reads ``hit.id``, ``hit.score``, ``hits.ids``,
``item.payload`` or ``health.ok`` should not care whether it talks to a server or to
a :class:`world2vec.Memory`. These dataclasses have the client's names, fields and
defaults (``world2vec_client/models.py``); fields the service would add beyond them
go to ``extra`` in both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Hit:
    """One ranked result: a concept (its id is the word) or a stored memory (``vector``
    when the search asked for ``with_vectors``)."""

    id: str
    score: float
    kind: str | None = None
    text: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    answer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    vector: np.ndarray | None = None


class Hits(list):
    """A list of :class:`Hit`; ``info`` holds the answer's other fields (``synthesized``...)."""

    def __init__(self, hits: Iterable[Hit] = (), info: Mapping[str, Any] | None = None) -> None:
        super().__init__(hits)
        self.info: dict[str, Any] = dict(info or {})

    @property
    def ids(self) -> list[str]:
        """The ids in rank order."""
        return [h.id for h in self]


@dataclass
class Item:
    """A stored memory as ``get`` returns it (with its unit vector)."""

    id: str
    kind: str = "fact"
    text: str | None = None
    tags: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)
    answer: str | None = None
    created_at: float | None = None
    vector: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Page:
    """One page of a scroll: its items and the cursor of the next page (None at the end)."""

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


@dataclass
class CollectionInfo:
    """A collection: its name, vector dimension, metric and model (None: vectors brought by
    the caller), item count; ``index`` and ``bytes`` when asked for one collection's stats."""

    name: str
    dim: int | None
    metric: str
    model: str | None
    items: int
    index: Any = None
    bytes: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Answer:
    """One answer from ``qa``: the memory it came from, its text, score and support."""

    id: str
    answer: str | None
    score: float
    support: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Health:
    """``status`` ("ok"), the model's name and dimension, the number of stored items."""

    status: str
    model: str | None
    dim: int | None
    items: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


OBJECT_KEY = "_object"  # where the service keeps an item's object; it shows it as ``object``


def _payload_and_extra(payload: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The payload as the service shows it: an item stored with an ``object`` (by the
    service) has it moved out of the payload, to ``extra["object"]`` as the client has it."""
    payload = dict(payload)
    extra = {"object": payload.pop(OBJECT_KEY)} if OBJECT_KEY in payload else {}
    return payload, extra


def item_result(stored: Any, with_vector: bool = True) -> Item:
    """A stored item (``world2vec.memory.Item``) as ``get`` returns it."""
    payload, extra = _payload_and_extra(stored.payload)
    vector = stored.vector if with_vector else None
    return Item(id=stored.id, kind=stored.kind, text=stored.text, tags=list(stored.tags),
                payload=payload, answer=stored.answer, created_at=stored.created_at,
                vector=None if vector is None else np.asarray(vector, dtype=np.float32),
                extra=extra)


def hit_result(hit: Any, with_vector: bool = False) -> Hit:
    """A stored memory's search hit (``world2vec.memory.Hit``) as the client's ``Hit``."""
    item = hit.item
    payload, extra = _payload_and_extra(item.payload)
    vector = item.vector if with_vector else None
    return Hit(id=hit.id, score=float(hit.score), kind=item.kind, text=item.text,
               payload=payload, tags=list(item.tags), answer=item.answer,
               extra={"created_at": item.created_at, **extra},
               vector=None if vector is None else np.asarray(vector, dtype=np.float32))
