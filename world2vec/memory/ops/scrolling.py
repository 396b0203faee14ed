"""Paging through a store's items in id order, with the last id as the cursor.

Why id order and not row order: rows move (an upsert appends a new row, a compaction
renumbers them all), ids do not. A page is "the first ``limit`` live items whose id
sorts after the cursor", computed afresh on the state of the moment, so pages cover
disjoint id ranges that together span every id: an item stored for the whole scroll
is returned exactly once, whatever is written, replaced or deleted meanwhile (an
item written during the scroll comes if its id sorts after the cursor, and not if
before). Ids compare as Python strings (code points).

The sorted ids of a store version are kept (:class:`SortedIds`) until the next write,
so a scroll over a quiet store sorts once, and each page costs a bisection plus its
own items.
"""

from __future__ import annotations

import threading
from bisect import bisect_right

import numpy as np

from world2vec.memory.items import Item
from world2vec.memory.view import ReadView, RowMask


class SortedIds:
    """The live ids of one store version, sorted, and their rows in that order (a store
    keeps one of these; it is rebuilt on the first scroll after a write)."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._ids: list[str] = []
        self._rows = np.empty(0, dtype=np.int64)
        self._lock = threading.Lock()

    def get(self, view: ReadView) -> tuple[list[str], np.ndarray]:
        """The sorted live ids of ``view`` and the row of each."""
        with self._lock:
            if self._version == view.version:
                return self._ids, self._rows
        row_of = view.table.row_of
        ids = sorted(row_of)
        rows = np.fromiter((row_of[i] for i in ids), dtype=np.int64, count=len(ids))
        with self._lock:
            self._version, self._ids, self._rows = view.version, ids, rows
        return ids, rows


def scroll_page(view: ReadView, order: tuple[list[str], np.ndarray], limit: int,
                cursor: str | None, rows: RowMask | None, with_vectors: bool
                ) -> tuple[list[Item], str | None]:
    """One page after ``cursor`` (None: from the start) of the items in ``rows`` (None:
    every live item), in the id ``order`` of :meth:`SortedIds.get`; the next cursor,
    or None when no matching item follows."""
    ids, sorted_rows = order
    start = 0 if cursor is None else bisect_right(ids, cursor)
    if rows is None:
        picked = sorted_rows[start: start + limit + 1]
    else:
        tail = sorted_rows[start:]
        picked = tail[np.flatnonzero(rows.mask[tail])[: limit + 1]]
    page = [view.item(int(r), with_vectors) for r in picked[:limit]]
    return page, (page[-1].id if len(picked) > limit else None)
