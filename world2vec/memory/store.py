"""MemoryStore: durable, filterable, thread-safe vector memory on FAISS.

Write path: validate the whole batch -> append one WAL record and fsync -> apply
to memory under the exclusive side of a readers-writer lock (microseconds). A
write mutex serialises writers (and snapshots) so the log order is the apply
order. Read path: shared lock, compile the filter to a row bitmap, search.
Approximate indexes are built off-lock on copies (``builder.py``); see
docs/MEMORY.md for the whole design.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import faiss
import numpy as np

from world2vec.memory import snapshot as snap
from world2vec.memory.bm25 import BM25
from world2vec.memory.builder import AnnState, IndexBuilder
from world2vec.memory.errors import ItemExists, StoreClosed, ValidationError
from world2vec.memory.filters import Filter, parse_filter
from world2vec.memory.indexes import IndexConfig
from world2vec.memory.items import Hit, Item, as_query, check_k, coerce_items, ids_of
from world2vec.memory.locks import DirectoryLock, RWLock
from world2vec.memory.metadata import RowTable
from world2vec.memory.searching import MaskCache, search_hits, search_hits_by_id
from world2vec.memory.wal import LogWriter, read_log

log = logging.getLogger("world2vec.memory")

COMPACT_DEAD_FRACTION = 0.2


class MemoryStore:
    """The embedded memory: one instance per data directory, shared by all threads."""

    def __init__(self, data_dir: str, dim: int, config: IndexConfig,
                 snapshot_wal_bytes: int, background: bool) -> None:
        self.data_dir = data_dir
        self._dim = dim
        self.config = config
        self.snapshot_wal_bytes = snapshot_wal_bytes
        self.recovery_warnings: list[str] = []
        self._rw = RWLock()
        self._write_mutex = threading.Lock()
        self._closed = False
        self._table = RowTable()
        self._flat = faiss.IndexFlatIP(dim)
        self.ann = AnnState()
        self._lock = DirectoryLock(data_dir)
        self._gen = 0
        self._wal: LogWriter | None = None
        self._builder = IndexBuilder(self, background)
        self._layout = 0                      # bumped when a compaction renumbers rows
        self._lex: BM25 | None = None
        self._lex_layout = -1
        self._lex_mutex = threading.Lock()
        self._version = 0                     # bumped by every write: invalidates cached filters
        self._masks = MaskCache()
        self._view: tuple | None = None       # (index, ntotal, view) of _vectors_view

    # -- opening ------------------------------------------------------------------
    @classmethod
    def open(cls, data_dir: str, dim: int, index: str = "auto", *,
             snapshot_wal_bytes: int = 256 << 20, background: bool = True,
             **index_options: Any) -> MemoryStore:
        """Open (creating if needed) the memory in ``data_dir`` for writing.

        Takes the directory lock (:class:`StoreLocked` names the holder), loads the
        newest snapshot and replays the log after it (a torn tail is dropped with a
        warning, see ``recovery_warnings``). ``index`` is auto, flat, hnsw, ivf or
        ivfpq; ``index_options`` set :class:`IndexConfig` fields such as ef_search.
        """
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValidationError(f"dim must be a positive integer, got {dim!r}")
        unknown = set(index_options) - set(IndexConfig.__dataclass_fields__)
        if unknown:
            raise ValidationError(f"unknown index option(s): {sorted(unknown)}")
        config = IndexConfig(kind=index, **index_options)
        os.makedirs(data_dir, exist_ok=True)
        store = cls(data_dir, dim, config, snapshot_wal_bytes, background)
        store._lock.acquire()
        try:
            store._recover()
        except BaseException:
            store._lock.release()
            raise
        store._builder.start()
        return store

    def _recover(self) -> None:
        gen = snap.latest_snapshot(self.data_dir)
        if gen is not None:
            vectors, meta = snap.read_snapshot(self.data_dir, gen)
            if meta["dim"] != self._dim:
                raise ValidationError(f"{self.data_dir} holds vectors of dimension {meta['dim']}, "
                                      f"not {self._dim} (was it written with another model?)")
            self._table, self._flat = self._build_rows(vectors, meta)
        self._gen = gen or 0
        for wal_gen in snap.wal_generations(self.data_dir):
            if wal_gen < self._gen:
                continue
            path = os.path.join(self.data_dir, snap.wal_name(wal_gen))
            records, warnings = read_log(path)
            self.recovery_warnings.extend(warnings)
            for record in records:
                self._apply_record(record)
            self._gen = max(self._gen, wal_gen)
        snap.remove_older(self.data_dir, self._gen)
        self._wal = LogWriter(os.path.join(self.data_dir, snap.wal_name(self._gen)))

    def _build_rows(self, vectors: np.ndarray, meta: dict) -> tuple[RowTable, faiss.IndexFlatIP]:
        table = RowTable()
        for i, item_id in enumerate(meta["ids"]):
            table.append(item_id, meta["kinds"][i], meta["texts"][i], meta["tags"][i],
                         meta["payloads"][i], meta["answers"][i], meta["created"][i])
        table.flush()
        flat = faiss.IndexFlatIP(self._dim)
        if len(vectors):
            flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return table, flat

    # -- properties ---------------------------------------------------------------
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
        batch, matrix = coerce_items(items, self._dim)
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
            self._wal.append([record])
            with self._rw.write():
                self._apply_put(record["items"], matrix)
                self._version += 1
            self._after_write()
        return [it.id for it in batch]

    def delete(self, item_id: str) -> bool:
        """Remove one item; False if it was not stored."""
        return self.delete_many([item_id]) == 1

    def delete_many(self, ids: Sequence[str]) -> int:
        """Remove items by id (unknown ids are skipped); returns how many were removed."""
        self._check_open()
        ids = ids_of(ids)
        with self._write_mutex:
            self._check_open()
            present = [i for i in dict.fromkeys(ids) if i in self._table.row_of]
            if not present:
                return 0
            self._wal.append([{"op": "del", "ids": present}])
            with self._rw.write():
                for item_id in present:
                    self._table.kill(item_id)
                self._version += 1
            self._after_write()
        return len(present)

    def _apply_record(self, record: dict) -> None:
        if record.get("op") == "put":
            matrix = np.frombuffer(record["vectors"], dtype=np.float32).reshape(-1, self._dim)
            self._apply_put(record["items"], matrix)
        elif record.get("op") == "del":
            for item_id in record["ids"]:
                self._table.kill(item_id)

    def _apply_put(self, rows: list[list], matrix: np.ndarray) -> None:
        table = self._table
        for item_id, kind, text, tags, payload, answer, created in rows:
            table.kill(item_id)
            table.append(item_id, kind, text, tags, payload, answer, created)
        table.flush()
        self._flat.add(np.ascontiguousarray(matrix))

    def _after_write(self) -> None:
        if self._wal.size() >= self.snapshot_wal_bytes:
            self._snapshot_locked()
        self._builder.poke()

    # -- reads --------------------------------------------------------------------
    def _vectors_view(self) -> np.ndarray:
        """Zero-copy view of the exact index's storage; valid only under the read lock.

        Cached until the index grows or is replaced (an add may move its storage, and
        every add changes ``ntotal``; the cache holds the index it viewed, so a
        replaced one is never confused with its successor).
        """
        flat = self._flat
        n = flat.ntotal
        cached = self._view
        if cached is not None and cached[0] is flat and cached[1] == n:
            return cached[2]
        view = np.empty((0, self._dim), dtype=np.float32) if n == 0 else \
            faiss.rev_swig_ptr(flat.get_xb(), n * self._dim).reshape(n, self._dim)
        self._view = (flat, n, view)
        return view

    def _item(self, row: int, vectors: np.ndarray | None) -> Item:
        """The item of a row; its vector copied out only when ``vectors`` is given.

        Tags and payload are shallow copies, so a caller editing a result cannot edit
        the store (they cost ~0.1 us; the vector copy is what a search result skips).
        """
        t = self._table
        return Item(t.ids[row], t.kinds[row], t.texts[row],
                    None if vectors is None else vectors[row].copy(), list(t.tags[row]),
                    dict(t.payloads[row]), t.answers[row], t.created[row])

    def get(self, item_id: str) -> Item | None:
        """The stored item (with its unit vector), or None."""
        self._check_open()
        if not isinstance(item_id, str):
            raise ValidationError("id must be a string")
        with self._rw.read():
            row = self._table.row_of.get(item_id)
            return None if row is None else self._item(row, self._vectors_view())

    def search(self, vector: Any, k: int = 10, filter: Filter | Mapping | None = None,
               exclude_ids: Iterable[str] = (), with_vectors: bool = False) -> list[Hit]:
        """The ``k`` stored items most similar (cosine) to ``vector``, best first.

        ``filter`` (DESIGN.md's language, or a parsed :class:`Filter`) is applied inside
        the FAISS search as an ID selector; a filtered search returns k hits whenever at
        least k items match. ``exclude_ids`` drops those items (e.g. the query's own).

        Each hit's item carries id, kind, text, tags, payload, answer and created_at;
        its ``vector`` is None unless ``with_vectors`` (copying k vectors out costs more
        than the rest of a result, and most callers only show the hits).
        """
        self._check_open()
        query = as_query(vector, self._dim)
        k = check_k(k)
        flt = parse_filter(filter)
        exclude = [exclude_ids] if isinstance(exclude_ids, str) else \
            (exclude_ids if isinstance(exclude_ids, (list, tuple)) else list(exclude_ids))
        with self._rw.read():
            return search_hits(self, query, k, flt, exclude, with_vectors)

    def search_by_id(self, item_id: str, k: int = 10, filter: Filter | Mapping | None = None,
                     with_vectors: bool = False) -> list[Hit] | None:
        """The ``k`` items most similar to the stored item ``item_id``, itself excluded;
        None if no item has that id.

        The same answer as ``search(get(item_id).vector, k, filter, [item_id])`` in one
        read-locked step: the stored unit vector is used in place (no copy, no second
        normalization); see ``searching.search_hits_by_id``.
        """
        self._check_open()
        if not isinstance(item_id, str):
            raise ValidationError("id must be a string")
        k = check_k(k)
        flt = parse_filter(filter)
        with self._rw.read():
            return search_hits_by_id(self, item_id, k, flt, with_vectors)

    def lexical_search(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        """BM25 ranking of stored items by their text (and answer): ``[(id, score)]``.

        The BM25 index is built on first use and then extended with new rows at each
        call, like the vector index; it is rebuilt after a compaction.
        """
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
        """Write an atomic snapshot and start a fresh log; returns the snapshot's path."""
        self._check_open()
        with self._write_mutex:
            return self._snapshot_locked()

    def _snapshot_locked(self) -> str:
        table = self._table
        with self._rw.read():
            live = np.flatnonzero(table.live.view())
            vectors = self._vectors_view()[live].copy()
        rows = live.tolist()
        meta = {"dim": self._dim, "count": len(rows), "index": self.config.to_dict(),
                "ids": [table.ids[r] for r in rows], "kinds": [table.kinds[r] for r in rows],
                "texts": [table.texts[r] for r in rows], "tags": [table.tags[r] for r in rows],
                "payloads": [table.payloads[r] for r in rows],
                "answers": [table.answers[r] for r in rows],
                "created": [table.created[r] for r in rows]}
        gen = self._gen + 1
        path = snap.write_snapshot(self.data_dir, gen, vectors, meta)
        old_wal = self._wal
        self._wal = LogWriter(os.path.join(self.data_dir, snap.wal_name(gen)))
        self._gen = gen
        old_wal.close()
        snap.remove_older(self.data_dir, gen)
        if table.dead > COMPACT_DEAD_FRACTION * max(table.nrows, 1):
            self._compact(vectors, meta)
        return path

    def _compact(self, vectors: np.ndarray, meta: dict) -> None:
        """Renumber rows without the dead ones (built aside, swapped in)."""
        new_table, new_flat = self._build_rows(vectors, meta)
        with self._rw.write():
            self._table, self._flat = new_table, new_flat
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
                "wal_bytes": self._wal.size() if self._wal else 0, "generation": self._gen}

    def close(self, snapshot: bool = True) -> None:
        """Stop background work, snapshot if the log holds anything, release the lock."""
        if self._closed:
            return
        self._builder.stop()
        with self._write_mutex:
            try:
                if snapshot and self._wal is not None and self._wal.size() > len(b"W2VWAL1\n"):
                    self._snapshot_locked()
            finally:
                self._closed = True
                if self._wal is not None:
                    self._wal.close()
                self._lock.release()

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
