"""MemoryStore: durable, filterable, thread-safe vector memory on FAISS.

Write path: validate the whole batch -> append one WAL record and fsync -> apply in
memory under the write lock (microseconds); on a full disk the append is undone and
nothing applied (``InsufficientStorage``). Read path: read lock, a :class:`ReadView`,
compiled filter, search (``searching.py``); approximate indexes are built off-lock
(``builder.py``). Those modules never see the store, only what it hands them. The
lock contract is the class's docstring; docs/MEMORY.md has the whole design.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from world2vec.memory import snapshot as snap
from world2vec.memory.bm25 import BM25
from world2vec.memory.builder import IndexBuilder
from world2vec.memory.errors import InsufficientStorage, ItemExists, StoreClosed, ValidationError
from world2vec.memory.filters import Filter, parse_filter
from world2vec.memory.indexes import AnnState, IndexConfig, check_metric, new_flat
from world2vec.memory.items import Hit, Item, as_query, check_id_arg, check_k, coerce_items, ids_of
from world2vec.memory.locks import DirectoryLock, RWLock
from world2vec.memory.metadata import RowTable
from world2vec.memory.ops import replay
from world2vec.memory.ops.dataops import DataOperations
from world2vec.memory.ops.scrolling import SortedIds
from world2vec.memory.searching import make_window, search_hits, search_hits_by_id
from world2vec.memory.view import MaskCache, ReadView, stored_vectors
from world2vec.memory.wal import MAGIC, LogWriter

log = logging.getLogger("world2vec.memory")

COMPACT_DEAD_FRACTION = 0.2


class MemoryStore(DataOperations):
    """The embedded memory: one instance per data directory, shared by all threads.

    Data operations beyond add/get/search/delete come from :class:`DataOperations`.

    Lock contract. Locks, outermost first (a thread holding two took them in this order):

    * Directory lock (flock on ``DIR/LOCK``), from :meth:`open` to :meth:`close`: one writing
      process per data directory.
    * Write mutex: serialises :meth:`add`, :meth:`upsert`, :meth:`delete`, :meth:`delete_many`,
      :meth:`delete_by_filter`, :meth:`patch`, :meth:`snapshot`, :meth:`export` and
      :meth:`close`, so the log order is the apply order (and what a patch or a delete by
      filter read is what it changes). Held across the fsync and snapshot I/O (readers
      never wait on it); its holder is the only mutator, so it may read the state without
      the read lock. At its level, each guarding only its own object: the BM25 mutex and
      the builder's mutex (one build step at a time).
    * Readers-writer lock (writer-preferring) over the in-memory state: row table, exact index
      and its vectors, ``ann``, the version keying cached filters. Read side: get, get_many,
      search, search_batch, search_by_id, count, scroll, lexical_search, and a snapshot, an
      export or the builder copying rows. Write side (``_writing``; microseconds, never
      across I/O or a build): applying a put or delete whose log record is durable,
      swapping in a compaction's table and index or a new ``ann``.
    * Innermost, the compiled-filter cache's own lock (readers share that cache).

    Readers get a frozen :class:`ReadView` under the read lock: references, never copies
    (table, exact index, a zero-copy view of its vectors, ``ann``, settings, filter cache,
    version), shared by reads until a write or a new ``config``. While the lock is held
    none of it changes, so rows, vectors and cached masks agree; after release the view
    must be dropped (the next add may move the vectors): results copy out what they keep.

    Index rebuilds never block readers: the builder copies rows under the read lock, builds
    with no lock held, and takes the write lock only to swap the ``ann`` reference, unless a
    compaction (which bumps the epoch) came in between. Meanwhile readers use the old index
    or exact search, rows newer than the index searched exactly. A compaction builds aside
    the same way. ``len``, ``in``, :meth:`stats` and the closed flag read without a lock.
    """

    def __init__(self, data_dir: str, dim: int, config: IndexConfig,
                 snapshot_wal_bytes: int, background: bool, metric: str = "cosine") -> None:
        self.data_dir = data_dir
        self._dim = dim
        self.metric = metric
        self.config = config
        self.snapshot_wal_bytes = snapshot_wal_bytes
        self.recovery_warnings: list[str] = []
        self._rw = RWLock()
        self._write_mutex = threading.Lock()
        self._closed = False
        self._table = RowTable()
        self._flat = new_flat(dim, metric)
        self.ann = AnnState()
        self._lock = DirectoryLock(data_dir)
        self._gen = 0
        self._wal: LogWriter | None = None
        self._builder = IndexBuilder(self._reading, self._swap_ann, background)
        self._layout = 0                      # bumped when a compaction renumbers rows
        self._lex: BM25 | None = None
        self._lex_layout, self._lex_mutex = -1, threading.Lock()   # BM25 built for a _layout
        self._version = 0                     # bumped by every write: invalidates cached filters
        self._masks = MaskCache()
        self._order = SortedIds()             # ids in scroll order, per version
        self._current: ReadView | None = None  # the view readers share until the next change
        self._snapshot_backoff = 0            # grows after an automatic snapshot found no space

    # -- opening ------------------------------------------------------------------
    @classmethod
    def open(cls, data_dir: str, dim: int, index: str = "auto", *, metric: str = "cosine",
             snapshot_wal_bytes: int = 256 << 20, background: bool = True,
             **index_options: Any) -> MemoryStore:
        """Open (creating if needed) the memory in ``data_dir`` for writing.

        Takes the directory lock (:class:`StoreLocked` names the holder), loads the
        newest snapshot and replays the log after it (a torn tail is dropped with a
        warning, see ``recovery_warnings``). ``index`` is auto, flat, hnsw, ivf or
        ivfpq; ``index_options`` set :class:`IndexConfig` fields such as ef_search.
        ``metric`` is how vectors compare, fixed for a data directory: ``cosine``,
        ``dot`` or ``l2`` (scores: see ``indexes.py``).
        """
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValidationError(f"dim must be a positive integer, got {dim!r}")
        config = IndexConfig.from_options(index, index_options)
        metric = check_metric(metric)
        os.makedirs(data_dir, exist_ok=True)
        store = cls(data_dir, dim, config, snapshot_wal_bytes, background, metric)
        store._lock.acquire()
        try:
            store._recover()
        except BaseException:
            store._lock.release()
            raise
        store._builder.start()
        return store

    def _recover(self) -> None:  # see ops/replay.py
        state = replay.recover(self.data_dir, self._dim, self.metric)
        self._table, self._flat, self._gen = state.table, state.flat, state.gen
        self.recovery_warnings.extend(state.warnings)
        snap.remove_older(self.data_dir, self._gen)
        self._wal = LogWriter(os.path.join(self.data_dir, snap.wal_name(self._gen)))

    @property
    def dim(self) -> int:
        return self._dim

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._table.row_of

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("the memory store is closed")

    # -- writes -------------------------------------------------------------------
    def add(self, items: Iterable[Item | Mapping]) -> list[str]:
        """Add new items; :class:`ItemExists` (nothing written) if any id is stored."""
        return self._put(items, replace=False)

    def upsert(self, items: Iterable[Item | Mapping]) -> list[str]:
        """Add items, replacing any stored item with the same id."""
        return self._put(items, replace=True)

    def _put(self, items: Iterable[Item | Mapping], replace: bool) -> list[str]:
        self._check_open()
        batch, matrix = coerce_items(items, self._dim, normalize=self.metric == "cosine")
        if not batch:
            return []
        record = {"op": "put", "vectors": matrix.tobytes(),
                  "items": [[it.id, it.kind, it.text, it.tags, it.payload, it.answer,
                             it.created_at] for it in batch]}
        with self._write_mutex:
            self._check_open()
            if not replace:
                for position, it in enumerate(batch):
                    if it.id in self._table.row_of:
                        raise ItemExists(f"item {position} (id {it.id!r}) already exists; "
                                         f"use upsert to replace it", it.id, position)
            self._commit(record)
        return [it.id for it in batch]

    def _commit(self, record: dict) -> None:
        """Log ``record`` (durable on return), then apply it; with the write mutex held.

        A full disk raises :class:`InsufficientStorage` from the log, which has cut
        itself back: nothing of the record was applied or will be replayed.
        """
        self._wal.append([record])
        with self._writing():
            replay.apply_record(self._table, self._flat, self._dim, record)
            self._version += 1
        self._after_write()

    def delete(self, item_id: str) -> bool:
        """Remove one item; False if it was not stored."""
        return self.delete_many([item_id]) == 1

    def delete_many(self, ids: Sequence[str]) -> int:
        """Remove items by id (unknown ids are skipped); returns how many were removed."""
        self._check_open()
        ids = ids_of(ids)
        with self._write_mutex:
            self._check_open()
            return self._delete_locked(ids)

    def _delete_locked(self, ids: list[str]) -> int:
        present = [i for i in dict.fromkeys(ids) if i in self._table.row_of]
        if present:
            self._commit({"op": "del", "ids": present})
        return len(present)

    def _after_write(self) -> None:
        if self._wal.size() >= self.snapshot_wal_bytes + self._snapshot_backoff:
            try:
                self._snapshot_locked()
                self._snapshot_backoff = 0
            except InsufficientStorage as exc:   # the write itself is durable in the log
                log.warning("automatic snapshot postponed: %s", exc)
                self._snapshot_backoff = self._wal.size() - self.snapshot_wal_bytes + (1 << 20)
        self._builder.poke()

    # -- reads --------------------------------------------------------------------
    def _read_view(self) -> ReadView:
        """The state as readers see it (under the read lock): built once and shared
        until ``_writing`` drops it or a caller assigns ``config`` or ``ann`` anew."""
        view = self._current
        if view is None or view.config is not self.config or view.ann is not self.ann:
            flat = self._flat
            view = self._current = ReadView(self._table, flat, stored_vectors(flat), self.ann,
                                            self.config, self._masks, self._version,
                                            self.metric)
        return view

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """The write lock, for changing the state; the shared ReadView is dropped."""
        with self._rw.write():
            try:
                yield
            finally:
                self._current = None

    @contextmanager
    def _reading(self) -> Iterator[ReadView]:
        """The read lock, and a view of the state while it is held (for the builder)."""
        with self._rw.read():
            yield self._read_view()

    def _swap_ann(self, decide: Callable[[AnnState], AnnState | None]) -> bool:
        """Under the write lock, install ``decide(current ann)`` unless it is None."""
        with self._writing():
            new = decide(self.ann)
            if new is not None:
                self.ann = new
            return new is not None

    def get(self, item_id: str) -> Item | None:
        """The stored item (with its vector: unit for cosine), or None."""
        self._check_open()
        check_id_arg(item_id)
        with self._rw.read():
            row = self._table.row_of.get(item_id)
            return None if row is None else self._read_view().item(row, with_vector=True)

    def search(self, vector: Any, k: int = 10, filter: Filter | Mapping | None = None,
               exclude_ids: Iterable[str] = (), with_vectors: bool = False, *,
               score_threshold: float | None = None, offset: int = 0) -> list[Hit]:
        """The ``k`` stored items nearest to ``vector`` by the store's metric, best first.

        ``filter`` (DESIGN.md's language, or a parsed :class:`Filter`) is applied inside
        the FAISS search as an ID selector; a filtered search returns k hits whenever at
        least k items match. ``exclude_ids`` drops those items (e.g. the query's own);
        ``offset`` skips the best ones (paging), ``score_threshold`` drops hits scoring
        under it (for l2, scores are negative distances: see ``indexes.py``). A hit's
        item has no ``vector`` unless ``with_vectors`` (copying costs more than the rest).
        """
        self._check_open()
        query = as_query(vector, self._dim, self.metric == "cosine")
        window = make_window(k, offset, score_threshold)
        flt = parse_filter(filter)
        exclude = [exclude_ids] if isinstance(exclude_ids, str) else \
            (exclude_ids if isinstance(exclude_ids, (list, tuple)) else list(exclude_ids))
        with self._rw.read():
            return search_hits(self._read_view(), query, window, flt, exclude, with_vectors)

    def search_by_id(self, item_id: str, k: int = 10, filter: Filter | Mapping | None = None,
                     with_vectors: bool = False) -> list[Hit] | None:
        """The ``k`` items most similar to the stored item ``item_id``, itself excluded;
        None if no item has that id (the stored vector is the query, used in place)."""
        self._check_open()
        check_id_arg(item_id)
        k = check_k(k)
        flt = parse_filter(filter)
        with self._rw.read():
            return search_hits_by_id(self._read_view(), item_id, k, flt, with_vectors)

    def lexical_search(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        """BM25 ranking of stored items by their text (and answer): ``[(id, score)]``. The
        BM25 index is built on first use, extended with new rows at each call, like the
        vector index, and rebuilt after a compaction."""
        self._check_open()
        if not isinstance(query, str):
            raise ValidationError("query must be a string")
        k = check_k(k)
        with self._lex_mutex, self._rw.read():
            table = self._table
            if self._lex is None or self._lex_layout != self._layout:
                self._lex, self._lex_layout = BM25(), self._layout
            start = len(self._lex)
            if start < table.nrows:
                self._lex.add(" ".join(filter(None, (table.texts[r], table.answers[r])))
                              for r in range(start, table.nrows))
            ranked = self._lex.top(query, k, table.live.view())
            return [(table.ids[r], score) for r, score in ranked]

    # -- maintenance --------------------------------------------------------------
    def snapshot(self) -> str:
        """Write an atomic snapshot, start a fresh log, return the snapshot's path (a full
        disk: :class:`InsufficientStorage`, the files as they were)."""
        self._check_open()
        with self._write_mutex:
            return self._snapshot_locked()

    def _live_copy(self) -> tuple[np.ndarray, dict]:
        """Live vectors and snapshot metadata (under the write mutex)."""
        table = self._table
        with self._rw.read():
            live = np.flatnonzero(table.live.view())
            vectors = self._read_view().vectors[live].copy()
        meta = snap.snapshot_meta(table, live.tolist(), self._dim, self.config.to_dict(),
                                  self.metric)
        return vectors, meta

    def _snapshot_locked(self) -> str:
        vectors, meta = self._live_copy()
        gen = self._gen + 1
        tmp = snap.write_snapshot_aside(self.data_dir, gen, vectors, meta)
        try:   # the next log exists before the snapshot does: a crash between replays both
            new_wal = LogWriter(os.path.join(self.data_dir, snap.wal_name(gen)))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        path = snap.publish_snapshot(self.data_dir, gen, tmp)
        old_wal, self._wal, self._gen = self._wal, new_wal, gen
        old_wal.close()
        snap.remove_older(self.data_dir, gen)
        if self._table.dead > COMPACT_DEAD_FRACTION * max(self._table.nrows, 1):
            self._compact(vectors, meta)
        return path

    def _compact(self, vectors: np.ndarray, meta: dict) -> None:
        """Renumber rows without the dead ones (built aside, swapped in)."""
        new_table, new_flat_index = snap.rows_from_snapshot(vectors, meta, self._dim, self.metric)
        with self._writing():
            self._table, self._flat = new_table, new_flat_index
            self.ann = AnnState(epoch=self.ann.epoch + 1)
            self._layout += 1
            self._version += 1
        self._builder.poke()

    def refresh(self) -> None:
        """Bring the approximate index up to date now (build or extend it) and wait."""
        self._check_open()
        self._builder.run_once()

    def stats(self) -> dict:
        ann = self.ann
        return {"items": len(self), "rows": self._table.nrows, "dead": self._table.dead,
                "index": ann.kind or "flat", "index_covered": ann.covered,
                "wal_bytes": self._wal.size() if self._wal else 0, "generation": self._gen,
                "metric": self.metric}

    def close(self, snapshot: bool = True) -> None:
        """Stop background work, snapshot if the log holds anything (with no space, the log
        stays, replayed on the next open), release the lock."""
        if self._closed:
            return
        self._builder.stop()
        with self._write_mutex:
            try:
                if snapshot and self._wal is not None and self._wal.size() > len(MAGIC):
                    self._snapshot_locked()
            except InsufficientStorage as exc:
                log.warning("closing without a snapshot: %s", exc)
            finally:
                self._closed = True
                if self._wal is not None:
                    self._wal.close()
                self._lock.release()

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

