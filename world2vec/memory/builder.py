"""Builds and extends approximate indexes off the lock, then swaps them in.

Readers keep searching the current index (or the exact one) the whole time: the
builder copies the rows it needs under a brief shared lock, trains/adds on its
private copy (FAISS releases the GIL), and takes the exclusive lock only to
swap one reference. A compaction in between renumbers rows, bumps ``epoch`` and
the stale build is thrown away.

The builder never sees the store: the store hands it two callables, one that
yields a :class:`ReadView` under the read lock and one that swaps the
:class:`AnnState` under the write lock (see :class:`IndexBuilder`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

import faiss

from world2vec.memory.indexes import AnnState, build_ann
from world2vec.memory.view import ReadView

log = logging.getLogger("world2vec.memory")

EXTEND_MIN_ROWS = 5_000      # background: extend once this many rows are searched exactly
EXTEND_FRACTION = 0.05       # ... or this fraction of the covered rows, whichever is larger
RETRAIN_GROWTH = 4           # IVF: retrain once the store is this many times its training size

ReadLocked = Callable[[], AbstractContextManager[ReadView]]
"""Takes the store's read lock and yields a view of it until the block ends."""

Swap = Callable[[Callable[[AnnState], AnnState | None]], bool]
"""``swap(decide)``: under the store's write lock, ``decide(current)`` returns the
AnnState to install, or None to keep the current one; True if one was installed."""


class IndexBuilder:
    """Keeps a store's approximate index up to date, on its own thread (``background``)
    or when asked (``run_once``); one build step at a time.

    ``read`` and ``swap`` are the store's read-locked view and write-locked swap (see
    ``ReadLocked`` and ``Swap``): the builder decides and copies under the first,
    builds with no lock held, and installs its result through the second.
    """

    def __init__(self, read: ReadLocked, swap: Swap, background: bool) -> None:
        self._read = read
        self._swap = swap
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
        with self._read() as view:
            n = view.flat.ntotal
            state = view.ann
            config = view.config
            metric = view.metric
            wanted = config.wanted(len(view.table))
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
                vectors = view.vectors[start:n].copy()
        if wanted is None:
            if drop:
                self._swap(lambda current: AnnState(epoch=state.epoch)
                           if current.epoch == state.epoch else None)
            return
        if full:
            index = build_ann(wanted, vectors, config, metric=metric)
            trained_on = n
        else:
            index = faiss.clone_index(state.index)
            index.add(vectors)
            trained_on = state.trained_on

        def decide(current: AnnState) -> AnnState | None:
            if self._stop and not force:
                return None
            if current.epoch != state.epoch:     # a compaction renumbered the rows meanwhile
                self.poke()
                return None
            return AnnState(index, wanted, n, state.epoch, trained_on)

        if self._swap(decide):
            self.builds += 1
