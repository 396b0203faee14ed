"""Typed results of the in-process API, field for field the client's.

Why copies and not the client's classes: world2vec must not depend on the client
distribution, yet code that reads ``hit.id``, ``hit.score``, ``hits.ids``,
``item.payload`` or ``health.ok`` should not care whether it talks to a server or to
a :class:`world2vec.Memory`. These dataclasses have the client's names, fields and
defaults (``world2vec_client/models.py``); fields the service would add beyond them
go to ``extra`` in both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Hit:
    """One ranked result: a concept (its id is the word) or a stored memory."""

    id: str
    score: float
    kind: str | None = None
    text: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    answer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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
