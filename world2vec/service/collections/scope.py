"""Which collection a request acts on, as the state its route sees.

Why a stand-in for :class:`ServiceState`: DESIGN.md has every memory route also under
``/collections/<name>/...`` with the same body and answer. The routes are written
once, against ``state()`` (``helpers.py``); for a request under a collection prefix
``state()`` answers a :class:`CollectionScope` -- the same attribute names (``store``,
``dim``, ``model``, ``reader``, ``config``, ...) bound to that collection -- so the
unscoped route and the scoped one are one function, and a route added later gets
its scoped twin for free. A collection with no model (``model: null``) has
:class:`NoModel` as its model: whatever a route asks of it (encoding a text, a
concept, an object) is the caller's mistake, a 400 that says why.
"""

from __future__ import annotations

from typing import Any

from world2vec.memory.collections import Collection
from world2vec.service.errors import BadRequest


class NoModel:
    """The model of a collection created with ``model: null`` (see the module docstring)."""

    def __init__(self, collection: str) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        raise BadRequest(f"collection {self._collection!r} has no model (it was created with "
                         f"model: null): give vectors, not text, concepts or objects",
                         slug="no-model", collection=self._collection)


class CollectionScope:
    """The service state as the routes of one collection see it."""

    def __init__(self, state: Any, collection: Collection) -> None:
        self._state = state
        self.collection = collection
        self.store = collection.store
        self.dim = collection.dim
        self.model = state.model if collection.model is not None else NoModel(collection.name)

    @property
    def reader(self) -> Any:
        return self._state.reader_for(self.collection, self.model)

    def __getattr__(self, name: str) -> Any:   # config, metrics, started_at, ...: the process's
        return getattr(self._state, name)
