"""What one service process holds: the model, the memory, the reader, the metrics.

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
from world2vec.service.config import ServiceConfig
from world2vec.service.metrics import Metrics

log = logging.getLogger("world2vec.service")

READER_FILE = "reader.npz"  # optional trained MemoryReader parameters in a model directory


class ServiceState:
    """The model and the memory of one server process (shared by its request threads)."""

    def __init__(self, config: ServiceConfig, model: Any, store: MemoryStore):
        self.config = config
        self.model = model
        self.store = store
        self.metrics = Metrics()
        self.started_at = time.time()
        self._reader = None
        self._reader_lock = threading.Lock()

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    @property
    def reader(self) -> Any:
        """The memory-network reader, built on first use (it pulls in the engine)."""
        with self._reader_lock:  # two first requests at once must not build two readers
            if self._reader is None:
                from world2vec.memory import MemoryReader
                reader = MemoryReader(self.store, self.model.encode_texts)
                trained = os.path.join(getattr(self.model, "path", None) or "", READER_FILE)
                if getattr(self.model, "path", None) and os.path.isfile(trained):
                    reader.load(trained)  # parameters trained for this model, if shipped
                self._reader = reader
        return self._reader

    def close(self) -> None:
        """Snapshot and release the data directory (called when the worker exits)."""
        try:
            self.store.close()
        except Exception:  # closing twice, or a store already failed: nothing to add
            log.exception("closing the memory store")
