"""How one query runs: compiled filter masks (cached) and the choice of path.

Paths, by how many rows a query may return (``eligible``):
  * a cached filter seen before with <= EXACT_SUBSET rows: its own small exact index;
  * few (<= GATHER_ROWS): gather those rows and score them exactly (numpy);
  * no approximate index, or an index but a selective filter (under EXACT_FRACTION of
    the rows): the exact FAISS index with an ``IDSelectorBitmap`` (FAISS skips the
    others inside its scan) -- a graph walk or a few probed lists would find too few
    eligible vectors there;
  * otherwise the approximate index with the same selector and a search widened in
    proportion to the filter's selectivity, plus an exact scan of the rows written
    since the index was built; if that still finds fewer than k while k rows are
    eligible, the exact path answers instead. So a filtered query returns k hits
    whenever k items match.

A compiled filter (row mask, count, packed bitmap) is cached per filter until the
next write: a service sees the same few filters again and again, and compiling one
over a million rows costs milliseconds, more than the HNSW search it feeds.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import faiss
import numpy as np

from world2vec.memory.filters import Filter
from world2vec.memory.indexes import search_params
from world2vec.memory.items import Hit

if TYPE_CHECKING:
    from world2vec.memory.store import MemoryStore

GATHER_ROWS = 4_096          # at most this many eligible rows: gather and score them exactly
EXACT_SUBSET = 20_000        # selective filter on an indexed store: gather up to this, else flat + selector
EXACT_FRACTION = 0.02        # with an approximate index: below this selectivity, search exactly
CACHE_SIZE = 32


SUBSET_BYTES = 8 << 20       # a cached filter may keep a contiguous copy of its rows up to this


@dataclass
class RowMask:
    """Rows a query may return: ``mask`` over all rows, their count, FAISS bitmap.

    A cached mask used a second time with few enough rows keeps a small exact index
    of just its rows (``subset``): the same filter then costs a scan of the eligible
    vectors only, contiguous in memory, with exact results.
    """

    mask: np.ndarray
    eligible: int
    _bits: np.ndarray | None = field(default=None, repr=False)
    uses: int = 0
    _subset: tuple | None = field(default=None, repr=False)

    def subset(self, vectors: np.ndarray) -> tuple | None:
        self.uses += 1
        if self._subset is None and self.uses >= 2 \
                and self.eligible * vectors.shape[1] * 4 <= SUBSET_BYTES:
            rows = np.flatnonzero(self.mask)
            index = faiss.IndexFlatIP(vectors.shape[1])
            index.add(np.ascontiguousarray(vectors[rows]))
            self._subset = (index, rows)
        return self._subset

    @property
    def bits(self) -> np.ndarray:
        if self._bits is None:
            self._bits = np.packbits(self.mask, bitorder="little")
        return self._bits

    def selector(self) -> faiss.IDSelectorBitmap:
        return faiss.IDSelectorBitmap(self.mask.shape[0], faiss.swig_ptr(self.bits))


class MaskCache:
    """Compiled filters of the current store version (cleared by any write)."""

    def __init__(self) -> None:
        self._entries: dict[Filter, RowMask] = {}
        self._version = -1
        self._lock = threading.Lock()

    def get(self, store: MemoryStore, flt: Filter, version: int) -> RowMask:
        with self._lock:
            if self._version != version:
                self._entries.clear()
                self._version = version
            entry = self._entries.get(flt)
        if entry is None:
            mask = store._table.compile(flt)
            entry = RowMask(mask, int(np.count_nonzero(mask)))
            with self._lock:
                if self._version == version:
                    if len(self._entries) >= CACHE_SIZE:
                        self._entries.pop(next(iter(self._entries)))
                    self._entries[flt] = entry
        return entry


def exact_subset(vectors: np.ndarray, query: np.ndarray, k: int, rows: np.ndarray
                 ) -> tuple[list[int], list[float]]:
    """Score the given rows exactly; best first, ties by row."""
    if rows.size == 0:
        return [], []
    scores = vectors[rows] @ query[0]
    top = np.argpartition(-scores, k - 1)[:k] if rows.size > k else np.arange(rows.size)
    top = top[np.lexsort((rows[top], -scores[top]))]
    return rows[top].tolist(), scores[top].tolist()


def exact(flat: faiss.IndexFlatIP, query: np.ndarray, k: int, rows: RowMask | None
          ) -> tuple[list[int], list[float]]:
    params = faiss.SearchParameters(sel=rows.selector()) if rows is not None else None
    scores, ids = flat.search(query, min(k, flat.ntotal), params=params)
    keep = ids[0] >= 0
    return ids[0][keep].tolist(), scores[0][keep].tolist()


def search_rows(store: MemoryStore, query: np.ndarray, k: int, rows: RowMask | None
                ) -> tuple[list[int], list[float]]:
    """Rows and cosine scores of the k best eligible rows (called under the read lock)."""
    flat = store._flat
    n = flat.ntotal
    eligible = n if rows is None else rows.eligible
    if eligible == 0:
        return [], []
    if rows is not None and eligible <= EXACT_SUBSET:
        cached = rows.subset(store._vectors_view())
        if cached is not None:
            index, subset_rows = cached
            scores, ids = index.search(query, min(k, eligible))
            keep = ids[0] >= 0
            return subset_rows[ids[0][keep]].tolist(), scores[0][keep].tolist()
    if rows is not None and eligible <= GATHER_ROWS:
        return exact_subset(store._vectors_view(), query, k, np.flatnonzero(rows.mask))
    ann = store.ann
    if ann.index is None or ann.covered < n // 2:
        return exact(flat, query, k, rows)
    if rows is not None and eligible < EXACT_FRACTION * n:
        if eligible <= EXACT_SUBSET:
            return exact_subset(store._vectors_view(), query, k, np.flatnonzero(rows.mask))
        return exact(flat, query, k, rows)
    covered = ann.covered
    config = store.config
    fetch = k * config.rerank if ann.kind == "ivfpq" else k
    sel = rows.selector() if rows is not None else None
    params = search_params(ann.kind, ann.index, config, sel, eligible / n, fetch)
    dists, ids = ann.index.search(query, min(fetch, covered), params=params)
    got = ids[0] >= 0
    candidates = ids[0][got]
    if ann.kind != "ivfpq" and covered == n:
        # HNSW / IVF-Flat compare the stored float32 vectors themselves: their inner
        # products are the cosines (to float rounding) and come sorted, best first.
        found = candidates[:k].tolist()
        if len(found) < min(k, eligible):
            return exact(flat, query, k, rows)
        return found, dists[0][got][:k].tolist()
    if covered < n:
        tail = np.arange(covered, n)
        if rows is not None:
            tail = tail[rows.mask[covered:]]
        candidates = np.concatenate([candidates, tail])
    found, scores = exact_subset(store._vectors_view(), query, k, candidates)
    if len(found) < min(k, eligible):
        return exact(flat, query, k, rows)
    return found, scores



# -- whole queries (called by MemoryStore under its read lock) -----------------------
def eligible_rows(store: MemoryStore, flt: Filter) -> RowMask | None:
    """The compiled mask of ``flt`` over live rows, or None when every row may match
    (no filter and no deleted rows: the plain unselected scan is the fastest)."""
    if store._table.dead or not flt.is_empty:
        return store._masks.get(store, flt, store._version)
    return None


def search_hits(store: MemoryStore, query: np.ndarray, k: int, flt: Filter,
                exclude: Sequence[str], with_vectors: bool) -> list[Hit]:
    """``MemoryStore.search`` after validation: filter, drop ``exclude``, rank, build hits."""
    table = store._table
    rows = eligible_rows(store, flt)
    if exclude:
        drop = [r for r in map(table.row_of.get, exclude) if r is not None]
        if drop:
            mask = (rows.mask if rows is not None else table.live.view()).copy()
            mask[drop] = False
            rows = RowMask(mask, int(np.count_nonzero(mask)))
    found, scores = search_rows(store, query, k, rows)
    vectors = store._vectors_view() if with_vectors else None
    item = store._item
    return [Hit(table.ids[r], s, item(r, vectors)) for r, s in zip(found, scores)]


def search_hits_by_id(store: MemoryStore, item_id: str, k: int, flt: Filter,
                      with_vectors: bool) -> list[Hit] | None:
    """``MemoryStore.search_by_id`` after validation; None for an unknown id.

    The stored unit vector is the query, used in place; the item itself is dropped
    from k + 1 hits rather than masked out (a mask would turn a plain scan into a
    selector scan).
    """
    table = store._table
    own = table.row_of.get(item_id)
    if own is None:
        return None
    vectors = store._vectors_view()
    query = vectors[own: own + 1]
    found, scores = search_rows(store, query, k + 1, eligible_rows(store, flt))
    out = [(r, s) for r, s in zip(found, scores) if r != own][:k]
    keep = vectors if with_vectors else None
    item = store._item
    return [Hit(table.ids[r], s, item(r, keep)) for r, s in out]
