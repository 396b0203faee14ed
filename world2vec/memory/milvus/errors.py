"""Errors of the Milvus backend, and the collection errors it shares with the embedded store.

The collection errors (unknown name, name taken, ``default`` cannot go) are the embedded
store's own classes where this version of ``world2vec.memory.errors`` has them, so the
service answers both backends with one mapping; where it does not yet, equivalents are
defined here with the same names and bases.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from world2vec.memory import errors as memory_errors
from world2vec.memory.errors import MemoryStoreError


class BackendError(MemoryStoreError):
    """Milvus failed or could not be reached; the message is Milvus's own."""


class _UnknownCollection(MemoryStoreError, LookupError):
    def __init__(self, name: str):
        super().__init__(f"no collection named {name!r}")
        self.name = name


class _CollectionExists(MemoryStoreError):
    def __init__(self, name: str):
        super().__init__(f"a collection named {name!r} exists already")
        self.name = name


class _CollectionInUse(MemoryStoreError):
    pass


UnknownCollection = getattr(memory_errors, "UnknownCollection", _UnknownCollection)
CollectionExists = getattr(memory_errors, "CollectionExists", _CollectionExists)
CollectionInUse = getattr(memory_errors, "CollectionInUse", _CollectionInUse)


@contextmanager
def milvus_errors(what: str) -> Iterator[None]:
    """Turn a pymilvus failure inside the block into :class:`BackendError` naming ``what``."""
    from pymilvus.exceptions import MilvusException
    try:
        yield
    except MilvusException as exc:
        raise BackendError(f"Milvus: {what} failed: {getattr(exc, 'message', exc)}") from exc
