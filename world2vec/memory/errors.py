"""Errors raised by the memory layer.

One base class (:class:`MemoryStoreError`) lets the service map every memory
failure to a problem+json answer in one place; the subclasses carry the HTTP
meaning the service gives them (400, 409, 423/503) so callers never have to
parse messages.
"""

from __future__ import annotations


class MemoryStoreError(Exception):
    """Base class of every error the memory layer raises on purpose."""


class ValidationError(MemoryStoreError, ValueError):
    """Bad input (an item, a vector, a filter, a k): the caller's mistake (HTTP 400).

    ``position`` is the item's index in its batch and ``item_id`` its id, when the
    error concerns one item of a batch, so a client can point at the culprit.
    """

    def __init__(self, message: str, position: int | None = None, item_id: str | None = None):
        super().__init__(message)
        self.position = position
        self.item_id = item_id


class ItemExists(MemoryStoreError):
    """``add`` was given an id that is already stored (HTTP 409); ``upsert`` replaces instead."""

    def __init__(self, message: str, item_id: str, position: int | None = None):
        super().__init__(message)
        self.item_id = item_id
        self.position = position


class StoreLocked(MemoryStoreError):
    """Another process holds the data directory's writer lock.

    Only one process may write a data directory; ``pid`` names the holder so the
    operator knows which process to stop.
    """

    def __init__(self, message: str, pid: int | None = None):
        super().__init__(message)
        self.pid = pid


class StoreClosed(MemoryStoreError):
    """The store was used after :meth:`MemoryStore.close`."""
