"""What one service process holds: the model, the memory, the reader, the relations, the metrics.

Why a class of its own: one object, built by the app factory and shared by the
request threads, owns what must be opened, built or closed exactly once per process
(the memory's directory lock, the reader built on first use); the routes reach it
through ``helpers.state()``.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
from typing import Any

from world2vec.embeddings.relation_book import RelationBook
from world2vec.memory import MemoryStore
from world2vec.service.config import ServiceConfig
from world2vec.service.metrics import Metrics

log = logging.getLogger("world2vec.service")

READER_FILE = "reader.npz"  # optional trained MemoryReader parameters in a model directory
RELATIONS_DIR = "relations"  # DATA/relations/<model name>/: the user's relations
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


def open_memory(config: ServiceConfig, model: Any) -> Any:
    """The memory this process serves (its ``default`` collection), on the configured backend.

    ``faiss`` (the default): the embedded store in ``config.data``, whose directory lock
    makes this the one process writing it. ``milvus``: the ``default`` collection of the
    Milvus at ``config.milvus_uri`` (a server, a cluster, or a Milvus Lite file, by default
    ``DATA/milvus.db``), created at the model's dimension if missing; the process keeps no
    memory state, so several may share it. The one place the backend is chosen.
    """
    if config.backend == "milvus":
        from world2vec.memory.milvus.collections import open_default_store
        uri = config.milvus_uri or os.path.join(os.path.abspath(config.data), "milvus.db")
        return open_default_store(uri, int(model.dim), token=config.milvus_token)
    return MemoryStore.open(os.path.abspath(config.data), int(model.dim), config.index)


def relations_directory(data: str, model_name: str) -> str:
    """Where the user's relations for ``model_name`` live: ``DATA/relations/<name>/``.

    The name is made safe as one path component (a model named ``../x`` must not
    write outside the data directory).
    """
    safe = _UNSAFE_IN_NAME.sub("_", str(model_name)).lstrip(".") or "model"
    return os.path.join(os.path.abspath(data), RELATIONS_DIR, safe)


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
        #: Held by whoever changes the user's relations (POST and DELETE /relations) and
        #: by :meth:`refit_relations`, so nothing taught during a model change is left behind.
        self.relations_lock = threading.Lock()
        #: The model's own relations and the user's (read it once per request: a model
        #: change replaces it whole).
        self.relations = RelationBook(relations_directory(config.data, model.name), model)
        if self.relations.unavailable:
            log.warning("relations not usable on model %s: %s", model.name,
                        "; ".join(f"{n}: {r}" for n, r in self.relations.unavailable.items()))

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

    def refit_relations(self, model: Any) -> dict[str, str]:
        """Carry the user's relations over to ``model``, the newly served one, and fit each
        again from its pairs (``RelationBook.refit``). Returns those it cannot fit,
        name -> reason (kept on disk, listed as unavailable).

        Why the files move too: the relations live under the served model's name, so a
        restart on ``model`` must find them there. A relation the new model's directory
        already holds (taught the last time it was served) is kept as it is.
        """
        with self.relations_lock:
            book = self.relations
            target = relations_directory(self.config.data, model.name)
            if target == book.directory:
                return book.refit(model)
            _carry_relations(book.directory, target)
            self.relations = RelationBook(target, model)  # fits every relation from its pairs
            return self.relations.unavailable

    def close(self) -> None:
        """Snapshot and release the data directory (called when the worker exits)."""
        try:
            self.store.close()
        except Exception:  # closing twice, or a store already failed: nothing to add
            log.exception("closing the memory store")


def _carry_relations(source: str, target: str) -> None:
    """Copy the relation files of ``source`` that ``target`` lacks, each whole or not at all
    (a temporary name, then a rename), so a crash leaves no half-copied relation."""
    os.makedirs(target, exist_ok=True)
    for name in sorted(os.listdir(source)):
        destination = os.path.join(target, name)
        if not name.endswith(".json") or name.startswith(".") or os.path.exists(destination):
            continue
        temporary = os.path.join(target, f".carry-{name}")
        shutil.copyfile(os.path.join(source, name), temporary)
        os.replace(temporary, destination)
