"""What one service process holds: the model, the memory (its collections), the readers,
the metrics.

Why a class of its own: one object, built by the app factory and shared by the
request threads, owns what must be opened, built or closed exactly once per process
(the memory's directory lock, the reader built on first use); the routes reach it
through ``helpers.state()``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from world2vec.memory import MemoryStore
from world2vec.memory.collections import Collection, Collections
from world2vec.service.collections.scope import CollectionScope
from world2vec.service.config import ServiceConfig
from world2vec.service.metrics import Metrics

log = logging.getLogger("world2vec.service")

READER_FILE = "reader.npz"  # optional trained MemoryReader parameters in a model directory


class ServiceState:
    """The model and the memory of one server process (shared by its request threads).

    ``store`` is the ``default`` collection's store (what the unscoped routes act on);
    ``collections`` every collection; :meth:`scope` one collection as its routes see it.
    """

    def __init__(self, config: ServiceConfig, model: Any, store: MemoryStore,
                 collections: Collections | None = None):
        self.config = config
        self.model = model
        self.store = store
        self.collections = collections if collections is not None else Collections.open(
            store.data_dir, store.dim, config.index, default=store)
        self.metrics = Metrics()
        self.started_at = time.time()
        self._readers: dict[str, tuple[MemoryStore, Any]] = {}
        self._reader_lock = threading.Lock()

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    @property
    def reader(self) -> Any:
        """The memory-network reader of ``default``, built on first use (it pulls in the engine)."""
        return self.reader_for(self.collections.default, self.model)

    def reader_for(self, collection: Collection, model: Any) -> Any:
        """A collection's reader, built on first use and again if the collection was
        removed and made anew (a new store)."""
        with self._reader_lock:  # two first requests at once must not build two readers
            cached = self._readers.get(collection.name)
            if cached is None or cached[0] is not collection.store:
                from world2vec.memory import MemoryReader
                reader = MemoryReader(collection.store, model.encode_texts)
                trained = os.path.join(getattr(self.model, "path", None) or "", READER_FILE)
                if getattr(self.model, "path", None) and os.path.isfile(trained):
                    reader.load(trained)  # parameters trained for this model, if shipped
                cached = self._readers[collection.name] = (collection.store, reader)
        return cached[1]

    def scope(self, name: str) -> CollectionScope:
        """Collection ``name`` as its routes see it (UnknownCollection: a 404)."""
        return CollectionScope(self, self.collections.get(name))

    def close(self) -> None:
        """Snapshot and release every collection (called when the worker exits)."""
        try:
            self.collections.close()
        except Exception:  # closing twice, or a store already failed: nothing to add
            log.exception("closing the memory store")
