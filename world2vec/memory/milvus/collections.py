"""MilvusCollections: world2vec's named collections, each one Milvus collection.

The same surface as the embedded ``Collections`` (create, get, delete, iterate; each
collection with name, dim, metric, model binding and its store), with one difference
that is the point of this backend: *nothing is kept in the process*. What a collection
is (dim, metric, model) lives in its Milvus collection's properties; which collections
exist is Milvus's list. So a collection created through one service replica is seen by
every other at its next request, and a deleted one is gone for all. Stores are cached
per process only as handles, checked against Milvus's list on every lookup.

Names: a world2vec name (``[a-z0-9][a-z0-9_-]{0,62}``) maps one-to-one onto a Milvus
name (letters, digits, ``_``) as ``PREFIX + name`` with ``_`` written ``_u`` and ``-``
written ``_h``; the prefix (``w2v_``) lets other data share the Milvus database.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from world2vec.memory.collections.manifest import Manifest, invalid
from world2vec.memory.errors import ValidationError
from world2vec.memory.milvus.errors import (
    CollectionExists,
    CollectionInUse,
    UnknownCollection,
    milvus_errors,
)
from world2vec.memory.milvus.records import MilvusRecords
from world2vec.memory.milvus.schema import (
    build_index_params,
    build_schema,
    properties_of,
    read_properties,
)
from world2vec.memory.milvus.store import STRONG, MilvusStore

DEFAULT = "default"
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
MAX_DIM = 32_768             # Milvus's largest FLOAT_VECTOR
PREFIX = "w2v_"


def connect(uri: str, token: str | None = None) -> Any:
    """A ``MilvusClient`` for ``uri``: ``http(s)://host:port`` (a server or cluster) or a
    local ``*.db`` file path (Milvus Lite, started in this process)."""
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    lite = "://" not in uri
    if lite:
        if not uri.endswith(".db"):
            raise ValidationError(f"--milvus-uri {uri}: give http(s)://host:port for a Milvus "
                                  f"server, or a file path ending in .db for Milvus Lite")
        uri = os.path.abspath(uri)
        os.makedirs(os.path.dirname(uri), exist_ok=True)
    with milvus_errors(f"connecting to {uri}"):
        try:
            return MilvusClient(uri=uri, token=token or "")
        except MilvusException:
            if not lite:
                raise
            # pymilvus 3 keeps a Milvus Lite file's connection after its last client closed;
            # reopened more than 30 s later it tries to recover that dead connection, fails
            # once and forgets it: a second try starts Milvus Lite afresh (measured).
            return MilvusClient(uri=uri, token=token or "")


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ValidationError(f"a collection name must match [a-z0-9][a-z0-9_-]{{0,62}} "
                              f"(lower-case letters, digits, '_' and '-'), got {name!r}")
    return name


def milvus_name(name: str, prefix: str = PREFIX) -> str:
    return prefix + name.replace("_", "_u").replace("-", "_h")


@dataclass
class MilvusCollection:
    """One collection: what it was created with, and its store."""

    name: str
    dim: int
    metric: str
    model: str | None
    store: MilvusStore
    created_at: float | None = None

    def info(self, detail: bool = False) -> dict[str, Any]:
        """``{"name", "dim", "metric", "model", "items"}``; with ``detail`` also the index,
        ``bytes`` (the raw vectors: Milvus reports no disk use per collection) and
        ``created_at``."""
        items = len(self.store)
        out: dict[str, Any] = {"name": self.name, "dim": self.dim, "metric": self.metric,
                               "model": self.model, "items": items}
        if detail:
            out.update(index=self.store.index, bytes=items * self.dim * 4,
                       created_at=self.created_at)
        return out


class MilvusCollections:
    """The collections of one Milvus database (see the module docstring). Thread-safe.

    Options (docs/SCALING.md says how to choose them): ``index`` and ``index_params`` of
    new collections' vector index (AUTOINDEX lets Milvus choose), ``search_params`` sent
    with every search, ``shards`` of a new collection, ``replicas`` it is loaded with,
    ``prefix`` of the Milvus names.
    """

    def __init__(self, client: Any, model_dim: int, *, prefix: str = PREFIX,
                 index: str = "AUTOINDEX", index_params: Mapping[str, Any] | None = None,
                 search_params: Mapping[str, Any] | None = None, shards: int = 1,
                 replicas: int = 1, owns_client: bool = False, uri: str | None = None) -> None:
        self.client = client
        self.uri = uri                  # where it connected, when known (for messages, a second client)
        self.model_dim = int(model_dim)
        self.prefix = prefix
        self.index = index
        self.index_params = dict(index_params or {})
        self.search_params = dict(search_params or {})
        self.shards = shards            # Milvus shards (DML channels) of a new collection
        self.replicas = replicas        # in-memory replicas a collection is loaded with
        self._owns_client = owns_client
        self._lock = threading.Lock()
        self._handles: dict[str, MilvusCollection] = {}

    @classmethod
    def open(cls, uri: str, model_dim: int, *, token: str | None = None,
             **options: Any) -> MilvusCollections:
        """Connect and make sure ``default`` exists (bound to the model, cosine). An
        existing ``default`` of another dimension is a :class:`ValidationError`."""
        manager = cls(connect(uri, token), model_dim, owns_client=True, uri=uri, **options)
        try:
            if DEFAULT not in manager:
                manager._create(DEFAULT, model_dim, "cosine", DEFAULT)
            default = manager.default
            if default.dim != model_dim:
                raise ValidationError(f"the Milvus collection {default.store.collection} holds "
                                      f"vectors of dimension {default.dim}, not {model_dim} "
                                      f"(was it written with another model?)")
        except BaseException:
            manager.close()
            raise
        return manager

    # -- lookups ------------------------------------------------------------------
    def _names(self) -> list[str]:
        with milvus_errors("listing collections"):
            listed = self.client.list_collections()
        # ``<prefix>_...`` are internal (records.py): no world2vec name starts with "_"
        return [n for n in listed if n.startswith(self.prefix)
                and not n.startswith(self.prefix + "_")]

    def physical_name(self, name: str) -> str:
        """The Milvus collection that holds collection ``name``'s items (a model switch
        on a shared Milvus moves them: ``world2vec.memory.milvus.routed``)."""
        return milvus_name(name, self.prefix)

    def _describe(self, name: str) -> dict[str, Any] | None:
        with milvus_errors(f"describing collection {name!r}"):
            physical = self.physical_name(name)
            if not self.client.has_collection(physical):
                return None
            described = self.client.describe_collection(physical)
        return read_properties(described.get("properties") or {})

    @property
    def default(self) -> MilvusCollection:
        return self.get(DEFAULT)

    def get(self, name: str) -> MilvusCollection:
        """The collection ``name`` as Milvus has it now; :class:`UnknownCollection` if none."""
        meta = self._describe(name) if isinstance(name, str) and NAME_RE.fullmatch(name) else None
        if meta is None:
            with self._lock:
                self._handles.pop(name, None)
            raise UnknownCollection(str(name))
        with self._lock:
            handle = self._handles.get(name)
            if handle is None or handle.created_at != meta["created_at"]:
                handle = self._handles[name] = self._handle(meta)
        return handle

    def _handle(self, meta: dict[str, Any]) -> MilvusCollection:
        collection = self.physical_name(meta["name"])
        with milvus_errors(f"loading collection {meta['name']!r}"):
            self.client.load_collection(collection, replica_number=self.replicas)  # no-op if loaded
        store = MilvusStore(self.client, collection, meta["dim"], meta["metric"],
                            name=meta["name"], search_params=self.search_params, index=self.index)
        return MilvusCollection(meta["name"], meta["dim"], meta["metric"], meta["model"], store,
                                meta["created_at"])

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and NAME_RE.fullmatch(name) is not None \
            and self._describe(name) is not None

    def names(self) -> set[str]:
        """The names of the collections, as Milvus lists them now."""
        found = set()
        for listed in self._names():
            with milvus_errors(f"describing collection {listed!r}"):
                meta = read_properties(self.client.describe_collection(listed).get("properties") or {})
            if meta is not None:
                found.add(meta["name"])
        return found

    def __iter__(self) -> Iterator[MilvusCollection]:
        """Every collection, ``default`` first, then by name."""
        for name in sorted(self.names(), key=lambda n: (n != DEFAULT, n)):
            try:
                yield self.get(name)
            except UnknownCollection:       # removed by another process meanwhile
                continue

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def relation_records(self, model_name: str) -> MilvusRecords:
        """Where the users' relations of ``model_name`` live: in this Milvus, shared by
        every service replica (records.py), not in one process's files."""
        return MilvusRecords(self.client, self.prefix + "_records", model_name)

    # -- changes ------------------------------------------------------------------
    def create(self, name: Any, dim: Any = None, metric: Any = "cosine",
               model: Any = DEFAULT) -> MilvusCollection:
        """Create a collection: ``model`` "default" (the served model's dim; ``dim`` may
        be omitted or must agree) or None (bring vectors: ``dim`` needed).
        :class:`CollectionExists` if the name is taken. The request is checked by the
        embedded store's rules (``Manifest.checked``), so a mistake names the same field."""
        wanted = Manifest.checked(name, dim, metric, model, self.model_dim)
        if wanted.dim > MAX_DIM:
            raise invalid("dim", f"dim must be an integer from 1 to {MAX_DIM} on Milvus "
                                 f"(its largest vector), got {wanted.dim}")
        if wanted.name in self:
            raise CollectionExists(wanted.name)
        self._create(wanted.name, wanted.dim, wanted.metric, wanted.model)
        return self.get(wanted.name)

    def _create(self, name: str, dim: int, metric: str, model: str | None) -> None:
        with milvus_errors(f"creating collection {name!r}"):
            self.client.create_collection(
                milvus_name(name, self.prefix), schema=build_schema(self.client, dim),
                index_params=build_index_params(self.client, metric, self.index, self.index_params),
                consistency_level=STRONG, num_shards=self.shards,
                properties=properties_of(name, dim, metric, model))

    def delete(self, name: str) -> None:
        """Remove a collection and its data; ``default`` cannot go (:class:`CollectionInUse`)."""
        if name == DEFAULT:
            raise CollectionInUse("the default collection always exists; remove its items "
                                  "instead (POST /memories/delete with {\"filter\": {}})")
        collection = self.get(name)
        collection.store.drop_everything()
        with self._lock:
            self._handles.pop(name, None)

    def close(self) -> None:
        """Close the client if this manager opened it; the data stays in Milvus."""
        with self._lock:
            self._handles.clear()
        if self._owns_client:
            self.client.close()


def open_default_store(uri: str, model_dim: int, *, token: str | None = None,
                       **options: Any) -> MilvusStore:
    """The ``default`` collection's store of the Milvus at ``uri`` (created if missing),
    owning its client: closing the store closes the connection (what a service serving
    only ``default`` needs)."""
    manager = MilvusCollections.open(uri, model_dim, token=token, **options)
    store = manager.default.store
    return MilvusStore(manager.client, store.collection, store.dim, store.metric,
                       name=store.name, search_params=manager.search_params,
                       index=manager.index, owns_client=True)
