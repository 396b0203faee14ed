"""How one query runs: the choice of search path over a :class:`ReadView`.

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

Every function here reads the store only through the view it is given (taken by the
store under its read lock), so this module never sees the store; the compiled
filters it uses are cached in ``view.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import faiss
import numpy as np

from world2vec.memory.filters import Filter
from world2vec.memory.indexes import search_params
from world2vec.memory.items import Hit
from world2vec.memory.view import ReadView, RowMask

GATHER_ROWS = 4_096          # at most this many eligible rows: gather and score them exactly
EXACT_SUBSET = 20_000        # selective filter on an indexed store: gather up to this, else flat + selector
EXACT_FRACTION = 0.02        # with an approximate index: below this selectivity, search exactly


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


def search_rows(view: ReadView, query: np.ndarray, k: int, rows: RowMask | None
                ) -> tuple[list[int], list[float]]:
    """Rows and cosine scores of the k best eligible rows (called under the read lock)."""
    flat = view.flat
    n = flat.ntotal
    eligible = n if rows is None else rows.eligible
    if eligible == 0:
        return [], []
    if rows is not None and eligible <= EXACT_SUBSET:
        cached = rows.subset(view.vectors)
        if cached is not None:
            index, subset_rows = cached
            scores, ids = index.search(query, min(k, eligible))
            keep = ids[0] >= 0
            return subset_rows[ids[0][keep]].tolist(), scores[0][keep].tolist()
    if rows is not None and eligible <= GATHER_ROWS:
        return exact_subset(view.vectors, query, k, np.flatnonzero(rows.mask))
    ann = view.ann
    if ann.index is None or ann.covered < n // 2:
        return exact(flat, query, k, rows)
    if rows is not None and eligible < EXACT_FRACTION * n:
        if eligible <= EXACT_SUBSET:
            return exact_subset(view.vectors, query, k, np.flatnonzero(rows.mask))
        return exact(flat, query, k, rows)
    covered = ann.covered
    config = view.config
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
    found, scores = exact_subset(view.vectors, query, k, candidates)
    if len(found) < min(k, eligible):
        return exact(flat, query, k, rows)
    return found, scores


# -- whole queries (called by MemoryStore with a view, under its read lock) ----------
def eligible_rows(view: ReadView, flt: Filter) -> RowMask | None:
    """The compiled mask of ``flt`` over live rows, or None when every row may match
    (no filter and no deleted rows: the plain unselected scan is the fastest)."""
    if view.table.dead or not flt.is_empty:
        return view.masks.get(view.table, flt, view.version)
    return None


def search_hits(view: ReadView, query: np.ndarray, k: int, flt: Filter,
                exclude: Sequence[str], with_vectors: bool) -> list[Hit]:
    """``MemoryStore.search`` after validation: filter, drop ``exclude``, rank, build hits."""
    table = view.table
    rows = eligible_rows(view, flt)
    if exclude:
        drop = [r for r in map(table.row_of.get, exclude) if r is not None]
        if drop:
            mask = (rows.mask if rows is not None else table.live.view()).copy()
            mask[drop] = False
            rows = RowMask(mask, int(np.count_nonzero(mask)))
    found, scores = search_rows(view, query, k, rows)
    item = view.item
    return [Hit(table.ids[r], s, item(r, with_vectors)) for r, s in zip(found, scores)]


def search_hits_by_id(view: ReadView, item_id: str, k: int, flt: Filter,
                      with_vectors: bool) -> list[Hit] | None:
    """``MemoryStore.search_by_id`` after validation; None for an unknown id.

    The stored unit vector is the query, used in place; the item itself is dropped
    from k + 1 hits rather than masked out (a mask would turn a plain scan into a
    selector scan).
    """
    table = view.table
    own = table.row_of.get(item_id)
    if own is None:
        return None
    query = view.vectors[own: own + 1]
    found, scores = search_rows(view, query, k + 1, eligible_rows(view, flt))
    out = [(r, s) for r, s in zip(found, scores) if r != own][:k]
    item = view.item
    return [Hit(table.ids[r], s, item(r, with_vectors)) for r, s in out]
