"""Builds and extends approximate indexes off the lock, then swaps them in.

Readers keep searching the current index (or the exact one) the whole time: the
builder copies the rows it needs under a brief shared lock, trains/adds on its
private copy (FAISS releases the GIL), and takes the exclusive lock only to
swap one reference. A compaction in between renumbers rows, bumps ``epoch`` and
the stale build is thrown away.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import faiss

from world2vec.memory.indexes import build_ann

if TYPE_CHECKING:
    from world2vec.memory.store import MemoryStore

log = logging.getLogger("world2vec.memory")

EXTEND_MIN_ROWS = 5_000      # background: extend once this many rows are searched exactly
EXTEND_FRACTION = 0.05       # ... or this fraction of the covered rows, whichever is larger
RETRAIN_GROWTH = 4           # IVF: retrain once the store is this many times its training size


@dataclass(frozen=True)
class AnnState:
    """An approximate index covering rows ``[0, covered)`` (immutable: swapped whole)."""

    index: Any = None
    kind: str | None = None
    covered: int = 0
    epoch: int = 0
    trained_on: int = 0


class IndexBuilder:
    def __init__(self, store: MemoryStore, background: bool) -> None:
        self.store = store
        self.background = background
        self._mutex = threading.Lock()
        self._event = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.builds = 0

    def start(self) -> None:
        if self.background:
            self._thread = threading.Thread(target=self._loop, name="world2vec-index-builder",
                                            daemon=True)
            self._thread.start()
            self.poke()

    def poke(self) -> None:
        if self.background:
            self._event.set()

    def stop(self, wait: float = 5.0) -> None:
        """Stop the thread; a build still running after ``wait`` seconds is abandoned
        (it is a daemon thread and will not swap its result into a stopping store), so
        closing never hangs on a million-vector HNSW build."""
        self._stop = True
        self._event.set()
        if self._thread is not None:
            self._thread.join(wait)
            self._thread = None

    def _loop(self) -> None:
        while True:
            self._event.wait()
            self._event.clear()
            if self._stop:
                return
            try:
                self.run_once(force=False)
            except Exception:  # a failed build must not kill the store: exact search still works
                log.exception("building the approximate index failed; exact search continues")

    def run_once(self, force: bool = True) -> None:
        with self._mutex:
            if self._stop and not force:
                return
            self._step(force)

    def _step(self, force: bool) -> None:
        store = self.store
        with store._rw.read():
            n = store._flat.ntotal
            state = store.ann
            wanted = store.config.wanted(len(store._table))
            if wanted is None:
                drop = state.index is not None
                vectors = None
            else:
                drop = False
                full = (state.index is None or state.kind != wanted
                        or (wanted != "hnsw" and n > RETRAIN_GROWTH * state.trained_on))
                tail = n - state.covered
                if not full and (tail == 0 or (not force and tail < max(
                        EXTEND_MIN_ROWS, EXTEND_FRACTION * state.covered))):
                    return
                start = 0 if full else state.covered
                vectors = store._vectors_view()[start:n].copy()
        if wanted is None:
            if drop:
                with store._rw.write():
                    if store.ann.epoch == state.epoch:
                        store.ann = AnnState(epoch=state.epoch)
            return
        if full:
            index = build_ann(wanted, vectors, store.config)
            trained_on = n
        else:
            index = faiss.clone_index(state.index)
            index.add(vectors)
            trained_on = state.trained_on
        with store._rw.write():
            if self._stop and not force:
                return
            if store.ann.epoch != state.epoch:
                self.poke()
                return
            store.ann = AnnState(index, wanted, n, state.epoch, trained_on)
        self.builds += 1
