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
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from world2vec.memory.errors import ValidationError
from world2vec.memory.filters import Filter
from world2vec.memory.indexes import exact_scores, faiss_scores, new_flat, search_params
from world2vec.memory.items import Hit, check_k
from world2vec.memory.view import ReadView, RowMask

GATHER_ROWS = 4_096          # at most this many eligible rows: gather and score them exactly
EXACT_SUBSET = 20_000        # selective filter on an indexed store: gather up to this, else flat + selector
EXACT_FRACTION = 0.02        # with an approximate index: below this selectivity, search exactly


def exact_subset(vectors: np.ndarray, query: np.ndarray, k: int, rows: np.ndarray,
                 metric: str = "cosine") -> tuple[list[int], list[float]]:
    """Score the given rows exactly; best first, ties by row."""
    if rows.size == 0:
        return [], []
    scores = exact_scores(metric, vectors[rows], query[0])
    top = np.argpartition(-scores, k - 1)[:k] if rows.size > k else np.arange(rows.size)
    top = top[np.lexsort((rows[top], -scores[top]))]
    return rows[top].tolist(), scores[top].tolist()


def exact(flat: faiss.IndexFlat, query: np.ndarray, k: int, rows: RowMask | None,
          metric: str = "cosine") -> tuple[list[int], list[float]]:
    params = faiss.SearchParameters(sel=rows.selector()) if rows is not None else None
    scores, ids = flat.search(query, min(k, flat.ntotal), params=params)
    keep = ids[0] >= 0
    return ids[0][keep].tolist(), faiss_scores(metric, scores[0][keep]).tolist()


def search_rows(view: ReadView, query: np.ndarray, k: int, rows: RowMask | None
                ) -> tuple[list[int], list[float]]:
    """Rows and scores (see ``indexes.METRICS``) of the k best eligible rows (called under
    the read lock)."""
    flat, metric = view.flat, view.metric
    n = flat.ntotal
    eligible = n if rows is None else rows.eligible
    if eligible == 0:
        return [], []
    if rows is not None and eligible <= EXACT_SUBSET:
        cached = rows.subset(view.vectors, metric)
        if cached is not None:
            index, subset_rows = cached
            scores, ids = index.search(query, min(k, eligible))
            keep = ids[0] >= 0
            return (subset_rows[ids[0][keep]].tolist(),
                    faiss_scores(metric, scores[0][keep]).tolist())
    if rows is not None and eligible <= GATHER_ROWS:
        return exact_subset(view.vectors, query, k, np.flatnonzero(rows.mask), metric)
    ann = view.ann
    if ann.index is None or ann.covered < n // 2:
        return exact(flat, query, k, rows, metric)
    if rows is not None and eligible < EXACT_FRACTION * n:
        if eligible <= EXACT_SUBSET:
            return exact_subset(view.vectors, query, k, np.flatnonzero(rows.mask), metric)
        return exact(flat, query, k, rows, metric)
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
            return exact(flat, query, k, rows, metric)
        return found, faiss_scores(metric, dists[0][got][:k]).tolist()
    if covered < n:
        tail = np.arange(covered, n)
        if rows is not None:
            tail = tail[rows.mask[covered:]]
        candidates = np.concatenate([candidates, tail])
    found, scores = exact_subset(view.vectors, query, k, candidates, metric)
    if len(found) < min(k, eligible):
        return exact(flat, query, k, rows, metric)
    return found, scores


# -- whole queries (called by MemoryStore with a view, under its read lock) ----------
def eligible_rows(view: ReadView, flt: Filter) -> RowMask | None:
    """The compiled mask of ``flt`` over live rows, or None when every row may match
    (no filter and no deleted rows: the plain unselected scan is the fastest)."""
    if view.table.dead or not flt.is_empty:
        return view.masks.get(view.table, flt, view.version)
    return None


@dataclass(frozen=True)
class Window:
    """Which hits of a ranking a search returns: it skips the best ``offset``, keeps the
    next ``k``, and drops those scoring under ``threshold`` (None: keeps all)."""

    k: int
    offset: int = 0
    threshold: float | None = None

    @property
    def fetch(self) -> int:
        return self.k + self.offset

    def cut(self, found: list[int], scores: list[float]) -> list[tuple[int, float]]:
        pairs = list(zip(found, scores))[self.offset: self.offset + self.k]
        if self.threshold is not None:
            pairs = [(r, s) for r, s in pairs if s >= self.threshold]
        return pairs


def _hits(view: ReadView, pairs: list[tuple[int, float]], with_vectors: bool) -> list[Hit]:
    ids, item = view.table.ids, view.item
    return [Hit(ids[r], float(s), item(r, with_vectors)) for r, s in pairs]


def search_hits(view: ReadView, query: np.ndarray, window: Window, flt: Filter,
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
    found, scores = search_rows(view, query, window.fetch, rows)
    return _hits(view, window.cut(found, scores), with_vectors)


def search_hits_batch(view: ReadView, queries: np.ndarray, window: Window, flt: Filter,
                      with_vectors: bool) -> list[list[Hit]]:
    """``MemoryStore.search_batch``: one ranking per query row, all under one filter.

    Where every query would take the same exact path -- no approximate index in service
    (the eligible rows, under a filter, gathered once into a scratch exact index) or the
    approximate index fully covering an unfiltered store -- the queries go to FAISS in
    one call: on the exact index that is one matrix product for all of them (see
    ``indexes.BLAS_BATCH_FROM``). Otherwise each query takes its own path.
    """
    rows = eligible_rows(view, flt)
    flat, ann, metric = view.flat, view.ann, view.metric
    n, k = flat.ntotal, window.fetch
    eligible = n if rows is None else rows.eligible
    if eligible == 0:
        return [[] for _ in range(len(queries))]
    exact_path = ann.index is None or ann.covered < n // 2
    ann_path = rows is None and not exact_path and ann.covered == n and ann.kind != "ivfpq"
    if len(queries) == 1 or not (exact_path or ann_path):
        return [_hits(view, window.cut(*search_rows(view, queries[q: q + 1], k, rows)),
                      with_vectors) for q in range(len(queries))]
    if ann_path:
        params = search_params(ann.kind, ann.index, view.config, None, 1.0, k)
        raw, ids = ann.index.search(queries, min(k, n), params=params)
    elif rows is None:
        raw, ids = flat.search(queries, min(k, n))
    else:
        subset = np.flatnonzero(rows.mask)
        scratch = new_flat(flat.d, metric)
        scratch.add(np.ascontiguousarray(view.vectors[subset]))
        raw, local = scratch.search(queries, min(k, eligible))
        ids = np.where(local >= 0, subset[np.maximum(local, 0)], -1)
    out = []
    for q in range(len(queries)):
        keep = ids[q] >= 0
        found = ids[q][keep].tolist()
        if len(found) < min(k, eligible):        # an approximate walk fell short
            found, scores = exact(flat, queries[q: q + 1], k, rows, metric)
        else:
            scores = faiss_scores(metric, raw[q][keep]).tolist()
        out.append(_hits(view, window.cut(found, scores), with_vectors))
    return out


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


def make_window(k: Any, offset: Any, threshold: Any) -> Window:
    """A search's window, checked: k, offset (k + offset at most 100,000), threshold."""
    k = check_k(k)
    offset = check_k(offset, 100_000 - k, "offset", lower=0)
    if threshold is not None and (isinstance(threshold, bool)
                                  or not isinstance(threshold, (int, float, np.floating))
                                  or not np.isfinite(threshold)):
        raise ValidationError(f"score_threshold must be a finite number, got {threshold!r}")
    return Window(k, offset, None if threshold is None else float(threshold))
