"""Collections: the stores of one data directory, by name.

Each collection is a :class:`~world2vec.memory.store.MemoryStore` of its own (its own
directory, lock, log and snapshots), so collections never wait on one another and one
can be removed by removing its directory. ``default`` is the store at the data
directory's root (where earlier versions kept the memory: an old data directory opens
with its items in ``default``, nothing to migrate); the others live under
``collections/<name>/`` (layout: ``manifest.py``).

Creating and removing are atomic on disk: a collection is built under a hidden
temporary name (manifest written and fsync'd) and renamed into place; a removed one is
renamed to a hidden name first, then deleted. A crash leaves at worst a hidden
directory, which the next open removes.

A collection's store may live outside its directory: a model switch re-encodes the
collections bound to the served model into new store directories (the service's
``DATA/stores/``, named by its pointer) and opens them here through ``store_dirs``;
the collection's directory keeps its manifest, and removing the collection removes
both.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from world2vec.memory.collections.manifest import (
    COLLECTIONS_DIR,
    DEFAULT,
    SNAPSHOTS_DIR,
    Manifest,
    read_manifest,
    write_manifest,
)
from world2vec.memory.errors import (
    CollectionExists,
    CollectionInUse,
    UnknownCollection,
    disk_full_as,
)
from world2vec.memory.store import MemoryStore
from world2vec.memory.wal import fsync_dir

log = logging.getLogger("world2vec.memory")

HIDDEN_PREFIXES = (".creating-", ".deleting-")
OpenStore = Callable[[str, int, str], MemoryStore]
"""``open_store(directory, dim, metric)``: how the manager opens each collection's store."""


@dataclass
class Collection:
    """One open collection: what it was created with, and its store."""

    manifest: Manifest
    store: MemoryStore
    path: str

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def dim(self) -> int:
        return self.manifest.dim

    @property
    def metric(self) -> str:
        return self.manifest.metric

    @property
    def model(self) -> str | None:
        return self.manifest.model

    @property
    def store_dir(self) -> str:
        """Where the store's files are: the collection's directory, or the store directory a
        model switch wrote (see the module docstring)."""
        return getattr(self.store, "data_dir", None) or self.path

    def info(self, detail: bool = False) -> dict[str, Any]:
        """``{"name", "dim", "metric", "model", "items"}``, with ``detail`` also the index
        in service and the bytes its files take on disk."""
        out: dict[str, Any] = {"name": self.name, "dim": self.dim, "metric": self.metric,
                               "model": self.model, "items": len(self.store)}
        if detail:
            out["index"] = self.store.stats()["index"]
            out["bytes"] = directory_bytes(self.path, skip=(COLLECTIONS_DIR, SNAPSHOTS_DIR))
            if not _inside(self.store_dir, self.path):
                out["bytes"] += directory_bytes(self.store_dir)
            out["created_at"] = self.manifest.created_at
        return out


def _inside(path: str, parent: str) -> bool:
    path, parent = os.path.abspath(path), os.path.abspath(parent)
    return os.path.commonpath([path, parent]) == parent


def directory_bytes(path: str, skip: tuple[str, ...] = ()) -> int:
    """Bytes of the files under ``path``, leaving out its top-level entries in ``skip``."""
    total = 0
    for root, dirs, files in os.walk(path):
        if root == path:
            dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:   # removed meanwhile (an old snapshot, a log): not there any more
                pass
    return total


class Collections:
    """The collections of a data directory, opened (see the module docstring).

    Thread-safe: creating and removing hold the manager's lock; looking one up reads
    a dictionary. A store removed while a request still holds it raises StoreClosed.
    """

    def __init__(self, data_dir: str, default: MemoryStore, open_store: OpenStore,
                 store_dirs: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self._open_store = open_store
        #: Collections whose store a model switch wrote elsewhere: name -> directory.
        self._store_dirs = dict(store_dirs or {})
        self._lock = threading.Lock()
        manifest = Manifest(DEFAULT, default.dim, default.metric, DEFAULT, None)
        # Where default's files are: DATA itself, or the store a model switch wrote.
        self._default = Collection(manifest, default, getattr(default, "data_dir", data_dir))
        #: The other collections, by name (copied into :meth:`with_stores`'s twins).
        self._by_name: dict[str, Collection] = {}

    @classmethod
    def open(cls, data_dir: str, dim: int, index: str = "auto", *,
             default: MemoryStore | None = None, background: bool = True,
             store_dirs: dict[str, str] | None = None, **index_options: Any) -> Collections:
        """Open every collection of ``data_dir``; ``dim`` is the served model's (the
        ``default`` collection's). ``default`` may be given already open. ``store_dirs``:
        collections bound to the model whose store a model switch wrote elsewhere, name ->
        directory (those stores hold the served model's vectors, so its dimension)."""
        data_dir = os.path.abspath(data_dir)

        def open_store(path: str, store_dim: int, metric: str) -> MemoryStore:
            return MemoryStore.open(path, store_dim, index, metric=metric,
                                    background=background, **index_options)

        if default is None:
            default = open_store(data_dir, dim, "cosine")
        manager = cls(data_dir, default, open_store, store_dirs)
        try:
            manager._open_existing()
        except BaseException:
            manager.close()
            raise
        return manager

    def with_stores(self, stores: dict[str, Any]) -> Collections:
        """A manager of the same collections with the stores given by name in place of
        theirs (a model switch serves each bound collection through a watch, then the
        stores it re-encoded). The collections not named are the same objects; the twin
        has a dictionary of its own (collections created or removed through it are not
        seen by this one: the service lets writes reach one manager at a time) and
        shares this one's lock."""
        twin = copy.copy(self)
        twin._by_name = dict(self._by_name)
        for name, store in stores.items():
            if name == DEFAULT:
                manifest = Manifest(DEFAULT, store.dim, store.metric, DEFAULT, None)
                twin._default = Collection(manifest, store,
                                           getattr(store, "data_dir", self.data_dir))
                continue
            was = self.get(name)
            manifest = dataclasses.replace(was.manifest, dim=int(store.dim))
            twin._by_name[name] = Collection(manifest, store, was.path)
        return twin

    @property
    def root(self) -> str:
        return os.path.join(self.data_dir, COLLECTIONS_DIR)

    def _open_existing(self) -> None:
        if not os.path.isdir(self.root):
            return
        for entry in sorted(os.listdir(self.root)):
            path = os.path.join(self.root, entry)
            if entry.startswith(HIDDEN_PREFIXES):        # an interrupted create or delete
                shutil.rmtree(path, ignore_errors=True)
                continue
            if not os.path.isfile(os.path.join(path, "manifest.json")):
                log.warning("%s: not a collection (no manifest.json); left alone", path)
                continue
            manifest = read_manifest(path)
            store_dir = self._store_dirs.get(manifest.name)
            if store_dir is not None and manifest.model == DEFAULT:   # a switch re-encoded it
                manifest = dataclasses.replace(manifest, dim=self._default.dim)
            else:
                store_dir = path
            store = self._open_store(store_dir, manifest.dim, manifest.metric)
            self._by_name[manifest.name] = Collection(manifest, store, path)

    # -- lookups ------------------------------------------------------------------
    @property
    def default(self) -> Collection:
        return self._default

    def get(self, name: str) -> Collection:
        """The collection ``name``; :class:`UnknownCollection` if there is none."""
        if name == DEFAULT:
            return self._default
        found = self._by_name.get(name) if isinstance(name, str) else None
        if found is None:
            raise UnknownCollection(str(name))
        return found

    def __contains__(self, name: object) -> bool:
        return name == DEFAULT or name in self._by_name

    def __iter__(self) -> Iterator[Collection]:
        """Every collection, ``default`` first, then by name."""
        snapshot = dict(self._by_name)
        yield self._default
        for name in sorted(snapshot):
            yield snapshot[name]

    def __len__(self) -> int:
        return len(self._by_name) + 1

    # -- changes ------------------------------------------------------------------
    def create(self, name: Any, dim: Any = None, metric: Any = "cosine",
               model: Any = DEFAULT) -> Collection:
        """Create and open a collection (``Manifest.checked`` says what is accepted);
        :class:`CollectionExists` if the name is taken, :class:`InsufficientStorage`
        with no space (nothing left behind)."""
        manifest = Manifest.checked(name, dim, metric, model, self.default.dim)
        with self._lock:
            if manifest.name in self:
                raise CollectionExists(manifest.name)
            final = os.path.join(self.root, manifest.name)
            building = os.path.join(self.root, f".creating-{manifest.name}-{uuid.uuid4().hex[:8]}")
            try:
                with disk_full_as(f"the new collection {manifest.name!r}"):
                    os.makedirs(building)
                    write_manifest(building, manifest)
                    os.rename(building, final)
                    fsync_dir(self.root)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
            try:
                store = self._open_store(final, manifest.dim, manifest.metric)
            except BaseException:
                shutil.rmtree(final, ignore_errors=True)
                raise
            created = self._by_name[manifest.name] = Collection(manifest, store, final)
            return created

    def delete(self, name: str) -> None:
        """Remove a collection and its files (its store's too, where a model switch put
        them); ``default`` cannot go (:class:`CollectionInUse`: remove its items with
        ``delete_by_filter({})`` instead)."""
        if name == DEFAULT:
            raise CollectionInUse("the default collection always exists; remove its items "
                                  "instead (POST /memories/delete with {\"filter\": {}})")
        with self._lock:
            collection = self.get(name)
            del self._by_name[name]
            collection.store.close(snapshot=False)
            doomed = os.path.join(self.root, f".deleting-{name}-{uuid.uuid4().hex[:8]}")
            os.rename(collection.path, doomed)
            fsync_dir(self.root)
        shutil.rmtree(doomed, ignore_errors=True)
        if not _inside(collection.store_dir, collection.path):
            shutil.rmtree(collection.store_dir, ignore_errors=True)

    def close(self) -> None:
        """Close every store (snapshotting each); safe to call twice."""
        with self._lock:
            for collection in [self._default, *self._by_name.values()]:
                try:
                    collection.store.close()
                except Exception:  # one store failing to close must not keep the others open
                    log.exception("closing collection %s", collection.name)
