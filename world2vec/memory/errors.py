"""Errors raised by the memory layer.

One base class (:class:`MemoryStoreError`) lets the service map every memory
failure to a problem+json answer in one place; the subclasses carry the HTTP
meaning the service gives them (400, 404, 409, 423/503, 507) so callers never have
to parse messages.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager


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


class InsufficientStorage(MemoryStoreError):
    """The disk (or the user's quota) is full: the write was not made (HTTP 507).

    Raised instead of the ``OSError`` (ENOSPC, EDQUOT) after the store has undone the
    write's traces -- the log cut back to its last whole record, a half-written
    snapshot removed -- so nothing acknowledged is lost and writing works again, with
    no restart, once space is freed.
    """


class UnknownCollection(MemoryStoreError, LookupError):
    """No collection has this name (HTTP 404)."""

    def __init__(self, name: str):
        super().__init__(f"no collection named {name!r}")
        self.name = name


class CollectionExists(MemoryStoreError):
    """A collection with this name exists already (HTTP 409)."""

    def __init__(self, name: str):
        super().__init__(f"a collection named {name!r} exists already")
        self.name = name


class CollectionInUse(MemoryStoreError):
    """The request would remove what must stay, e.g. the ``default`` collection (HTTP 409)."""


DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS


@contextmanager
def disk_full_as(what: str) -> Iterator[None]:
    """Turn a full disk's ``OSError`` inside the block into :class:`InsufficientStorage`
    naming ``what`` was being written (other errors pass through unchanged)."""
    try:
        yield
    except OSError as exc:
        if is_disk_full(exc):
            raise InsufficientStorage(f"no space left on the device while writing {what}; "
                                      f"free some space and retry (nothing was written)") from exc
        raise
