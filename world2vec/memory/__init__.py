"""world2vec.memory: the FAISS-backed memory of thought vectors.

Public surface (docs/ARCHITECTURE.md): :class:`Item`, :class:`Hit`,
:class:`MemoryStore`, :func:`parse_filter`, the errors, and :class:`MemoryReader`
(imported lazily: it pulls in the training engine). Named collections of a data
directory and archives of them: ``world2vec.memory.collections``.
"""

from world2vec.memory.errors import (
    CollectionExists,
    CollectionInUse,
    InsufficientStorage,
    ItemExists,
    MemoryStoreError,
    StoreClosed,
    StoreLocked,
    UnknownCollection,
    ValidationError,
)
from world2vec.memory.filters import Filter, parse_filter
from world2vec.memory.items import Hit, Item
from world2vec.memory.store import MemoryStore

__all__ = ["Item", "Hit", "MemoryStore", "Filter", "parse_filter", "MemoryStoreError",
           "ValidationError", "ItemExists", "StoreLocked", "StoreClosed", "InsufficientStorage",
           "UnknownCollection", "CollectionExists", "CollectionInUse", "MemoryReader", "Answer"]


def __getattr__(name: str):
    if name in ("MemoryReader", "Answer"):
        from world2vec.memory import reader
        return getattr(reader, name)
    raise AttributeError(name)
