"""A named collection of an in-process :class:`world2vec.Memory`, and what its methods see.

``memory.collection("notes")`` is to a Memory what ``client.collection("notes")`` is to
a Client: the memory methods (:class:`~world2vec.api.memory_ops.MemoryMethods`) acting
on that collection. Like the client's, it is only a name: the collection is looked up
at each call, so one removed meanwhile is a :class:`NotFound` (and one made again under
the name is the new one), never a stale store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from world2vec.api.memory_ops import MemoryMethods
from world2vec.api.results import CollectionInfo
from world2vec.memory.collections import Collection as StoredCollection


@dataclass(frozen=True)
class Scope:
    """One collection as the memory methods see it: its store and dimension, the model
    that encodes its texts (a ``NoModel`` for ``model=None``) and its reader."""

    collection: StoredCollection
    model: Any
    readers: Callable[[StoredCollection, Any], Any]

    @property
    def name(self) -> str:
        return self.collection.name

    @property
    def store(self) -> Any:
        return self.collection.store

    @property
    def dim(self) -> int:
        return self.collection.dim

    @property
    def reader(self) -> Any:
        """The collection's memory-network reader (built on first use)."""
        return self.readers(self.collection, self.model)


def collection_info(stored: StoredCollection, detail: bool = False) -> CollectionInfo:
    """A collection's description, field for field the client's (``created_at``, which
    the client has no field for, in ``extra``)."""
    info = stored.info(detail)
    known = ("name", "dim", "metric", "model", "items", "index", "bytes")
    return CollectionInfo(**{k: info[k] for k in known if k in info},
                          extra={k: v for k, v in info.items() if k not in known})


class Collection(MemoryMethods):
    """A named collection: the memory methods, acting on it (see the module docstring).

    Get one from ``memory.collection(name)`` or ``memory.create_collection(...)``.
    """

    def __init__(self, memory: Any, name: str, scope: Callable[[str], Scope]) -> None:
        self.memory = memory
        self.name = name
        self._resolve = scope

    def _scope(self) -> Scope:
        return self._resolve(self.name)

    def info(self) -> CollectionInfo:
        """This collection's stats (``memory.collection_info(name)``)."""
        return self.memory.collection_info(self.name)

    def __repr__(self) -> str:
        return f"Collection({self.name!r}, path={self.memory.path!r})"
