"""What one service process holds: the model, the memory (its collections), the readers,
the relations, the metrics.

Why a class of its own: one object, built by the app factory and shared by the
request threads, owns what must be opened, built or closed exactly once per process
(the memory's directory lock, the reader built on first use); the routes reach it
through ``helpers.state()``.

Why the model, the memory and the relations sit together in one :class:`Served`: the
served model can change while requests run (docs/MODELS.md), and an answer must come
wholly from one model and the vectors it encoded. A change replaces the ``Served``
reference at once; each request works on a copy of the state *pinned* to the pair
served when it began (:meth:`ServiceState.pinned`), and the pair counts its requests
so the old memory is closed only after the last of them has finished.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import threading
import time
import weakref
from typing import Any

from world2vec.embeddings.relation_book import RelationBook
from world2vec.memory import MemoryStore
from world2vec.memory.collections import Collection, Collections
from world2vec.service.collections.scope import CollectionScope
from world2vec.service.config import ServiceConfig
from world2vec.service.metrics import Metrics

log = logging.getLogger("world2vec.service")

READER_FILE = "reader.npz"  # optional trained MemoryReader parameters in a model directory
RELATIONS_DIR = "relations"  # DATA/relations/<model name>/: the user's relations
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


def relations_directory(data: str, model_name: str) -> str:
    """Where the user's relations for ``model_name`` live: ``DATA/relations/<name>/``.

    The name is made safe as one path component (a model named ``../x`` must not
    write outside the data directory).
    """
    safe = _UNSAFE_IN_NAME.sub("_", str(model_name)).lstrip(".") or "model"
    return os.path.join(os.path.abspath(data), RELATIONS_DIR, safe)


class Served:
    """One served pair: a model, the collections (those bound to the model hold vectors
    it encoded), and the relations fitted on it. Replaced whole, never edited."""

    def __init__(self, model: Any, collections: Collections, relations: RelationBook) -> None:
        self.model = model
        self.collections = collections
        self.relations = relations
        self._users = 0
        self._idle = threading.Condition()

    @property
    def store(self) -> MemoryStore:
        """The ``default`` collection's store (what the unscoped routes act on)."""
        return self.collections.default.store

    def replaced(self, model: Any = None, stores: dict[str, Any] | None = None,
                 relations: RelationBook | None = None) -> Served:
        """A new pair: this one with ``model``, the collections' ``stores`` (by name) and
        ``relations`` given in place of its own (the collections not named are shared)."""
        return Served(self.model if model is None else model,
                      self.collections.with_stores(stores) if stores else self.collections,
                      self.relations if relations is None else relations)

    def enter(self) -> None:
        with self._idle:
            self._users += 1

    def leave(self) -> None:
        with self._idle:
            self._users -= 1
            if self._users <= 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request works on this pair; False if ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._users > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True


class ServiceState:
    """The model and the memory of one server process (shared by its request threads).

    ``store`` is the ``default`` collection's store (what the unscoped routes act on);
    ``collections`` every collection; :meth:`scope` one collection as its routes see it.
    All three, with ``model`` and ``relations``, come from the served pair.
    """

    def __init__(self, config: ServiceConfig, model: Any, store: MemoryStore,
                 collections: Collections | None = None):
        self.config = config
        if collections is None:
            collections = Collections.open(store.data_dir, store.dim, config.index, default=store)
        self.metrics = Metrics()
        self.started_at = time.time()
        self._readers: dict[str, tuple[Any, Any, Any]] = {}
        self._reader_lock = threading.Lock()
        #: Held by whoever changes the user's relations (POST and DELETE /relations) and
        #: by :meth:`refit_relations`, so nothing taught during a model change is left behind.
        self.relations_lock = threading.Lock()
        relations = self._relation_book(model, collections)
        if relations.unavailable:
            log.warning("relations not usable on model %s: %s", model.name,
                        "; ".join(f"{n}: {r}" for n, r in relations.unavailable.items()))
        self._served = Served(model, collections, relations)
        #: Every pair served since start that something still refers to (a pinned request):
        #: a switch waits for all but the current one before it closes the old stores.
        self._pairs: weakref.WeakSet[Served] = weakref.WeakSet([self._served])
        self._root = self          # a pinned copy's root is the shared state
        self._pinned = False

    def _relation_book(self, model: Any, collections: Any) -> RelationBook:
        """The user's relations for ``model``: with Milvus they live there (shared by every
        replica of that Milvus), else as files under ``DATA/relations/<model name>/``."""
        shared = getattr(collections, "relation_records", None)
        return RelationBook(relations_directory(self.config.data, model.name), model,
                            records=None if shared is None else shared(model.name))

    # -- the served pair -------------------------------------------------------------
    @property
    def served(self) -> Served:
        return self._served

    @property
    def model(self) -> Any:
        return self._served.model

    @property
    def store(self) -> MemoryStore:
        return self._served.store

    @property
    def collections(self) -> Collections:
        return self._served.collections

    @property
    def relations(self) -> RelationBook:
        """The model's own relations and the user's (a model change replaces them whole)."""
        return self._served.relations

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    @property
    def reader(self) -> Any:
        """The memory-network reader of ``default``, built on first use (it pulls in the engine)."""
        return self.reader_for(self.collections.default, self.model)

    def reader_for(self, collection: Collection, model: Any) -> Any:
        """A collection's reader, built on first use and again if the collection was
        removed and made anew (a new store) or the served model changed."""
        with self._reader_lock:  # two first requests at once must not build two readers
            cached = self._readers.get(collection.name)
            if cached is None or cached[0] is not collection.store or cached[1] is not model:
                from world2vec.memory import MemoryReader
                reader = MemoryReader(collection.store, model.encode_texts)
                trained = os.path.join(getattr(model, "path", None) or "", READER_FILE)
                if getattr(model, "path", None) and os.path.isfile(trained):
                    reader.load(trained)  # parameters trained for this model, if shipped
                cached = self._readers[collection.name] = (collection.store, model, reader)
        return cached[2]

    def scope(self, name: str) -> CollectionScope:
        """Collection ``name`` as its routes see it (UnknownCollection: a 404)."""
        return CollectionScope(self, self.collections.get(name))

    def pinned(self) -> ServiceState:
        """A copy of this state fixed to the pair served now, for one request: whatever
        is switched meanwhile, it answers from one model and its vectors. Release it
        with :meth:`unpin` when the request ends."""
        view = copy.copy(self._root)
        view._pinned = True
        view._served.enter()
        return view

    def unpin(self) -> None:
        if self._pinned:
            self._pinned = False
            self._served.leave()

    def refit_relations(self, model: Any, stores: dict[str, Any] | None = None) -> dict[str, str]:
        """Carry the user's relations over to ``model``, the newly served one, and fit each
        again from its pairs. Returns those it cannot fit, name -> reason (kept on disk,
        listed as unavailable).

        With ``stores`` (collection name -> the store ``model`` re-encoded it into), this
        *is* the switch: the model, those stores (``default`` and every other collection
        bound to the model) and the refitted relations replace the served pair in one
        reference swap, under the relations lock (so nothing taught meanwhile is left
        behind). Without it only the relations are replaced.

        Why the files move too: the relations live under the served model's name, so a
        restart on ``model`` must find them there. A relation the new model's directory
        already holds (taught the last time it was served) is kept as it is.
        """
        root = self._root
        with root.relations_lock:
            current = root._served
            book = root._relation_book(model, current.collections)
            if book.directory != current.relations.directory:
                _carry_relations(current.relations.records, book.records)
                book = root._relation_book(model, current.collections)  # fits them all
            root._served = current.replaced(model=model if stores else None,
                                            stores=stores, relations=book)
            root._pairs.add(root._served)
            return book.unavailable

    def serve_stores(self, stores: dict[str, Any]) -> Served:
        """Serve the collections named in ``stores`` from the stores given, with the same
        model and relations (a switch serves the live stores through wrappers that note
        the writes); returns the pair served until now."""
        root = self._root
        with root.relations_lock:
            current = root._served
            root._served = current.replaced(stores=stores)
            root._pairs.add(root._served)
            return current

    def wait_previous_idle(self, timeout: float) -> bool:
        """Wait until no request works on a pair served before the current one (those a
        switch made, and those a relation taught meanwhile made); False if ``timeout`` ran
        out first."""
        root = self._root
        deadline = time.monotonic() + timeout
        with root.relations_lock:
            previous = [pair for pair in root._pairs if pair is not root._served]
        return all(pair.wait_idle(max(0.0, deadline - time.monotonic())) for pair in previous)

    def close(self) -> None:
        """Snapshot and release every collection (called when the worker exits)."""
        try:
            self._root.collections.close()
        except Exception:  # closing twice, or a store already failed: nothing to add
            log.exception("closing the memory store")


def _carry_relations(source: Any, target: Any) -> None:
    """Copy the relation records of ``source`` that ``target`` lacks (each written whole:
    a file is replaced atomically, a Milvus row upserted), so a crash leaves no
    half-copied relation."""
    have = set(target.names())
    for name in source.names():
        if name not in have:
            target.write(source.read(name))
