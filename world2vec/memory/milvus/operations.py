"""The data operations of a Milvus store beyond add, get, search and delete: fetching and
counting many, scrolling, batch search, deleting by filter, patching metadata.

A mixin, as on the embedded store, so :mod:`store` keeps the core. What it uses of the
host: ``_check_open()``, ``_query(expr, fields, limit, ordered)``, ``_fetch(ids,
with_vectors)``, ``_search(queries, limit, expr, with_vectors)``, ``_write(rows)``,
``_remove(ids)``, ``collection``, ``name``, ``metric``, ``dim``, ``client``.

Scrolling pages by id: a page is "the first ``limit`` matching items whose id sorts after
the cursor", asked of Milvus in its iterator mode (``iterator: "True"``, what its own
query iterators use), which returns a query's rows in primary-key order, so the first
``limit`` are the smallest ids. Pages cover disjoint id ranges that together span every
id: an item stored for the whole scroll comes exactly once, whatever is written
meanwhile. The cursor is the last id of the page, as on the embedded store; Milvus
compares VARCHAR keys byte-wise in UTF-8, which orders strings as Python does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from world2vec.memory.errors import ValidationError
from world2vec.memory.items import Hit, Item, ids_of
from world2vec.memory.milvus.checks import cut_hits, make_window, patched, query_row
from world2vec.memory.milvus.errors import milvus_errors
from world2vec.memory.milvus.expressions import filter_expression, quote
from world2vec.memory.milvus.schema import ITEM_FIELDS, from_row, to_row

DELETE_PAGE = 5_000          # ids matched and removed per round of delete_by_filter
MAX_PAGE = 16_383            # Milvus answers at most 16,384 rows per query: a longer page is cut
                             # there (still a page: the next cursor goes on from its end)


def _and(*parts: str) -> str:
    parts = tuple(p for p in parts if p)
    return parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)


class DataOperations:
    """Mixed into ``MilvusStore`` (see the module docstring for what it relies on)."""

    def count(self, filter: Any = None) -> int:
        """How many items are stored (that match ``filter``): a count query in Milvus."""
        self._check_open()
        rows = self._query(filter_expression(filter), ["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def get_many(self, ids: Sequence[str], with_vectors: bool = True
                 ) -> tuple[list[Item], list[str]]:
        """The stored items of ``ids`` in their order, and the ids not stored."""
        self._check_open()
        ids = ids_of(ids)
        stored = self._fetch(ids, with_vectors)
        found = [stored[i] for i in ids if i in stored]
        return found, [i for i in ids if i not in stored]

    def scroll(self, limit: int = 100, cursor: str | None = None, filter: Any = None,
               with_vectors: bool = False) -> tuple[list[Item], str | None]:
        """One page of items in id order after ``cursor`` (None: the first page), and the
        cursor of the next page (None after the last); see the module docstring. A
        ``limit`` over MAX_PAGE gives pages of MAX_PAGE items."""
        self._check_open()
        limit = min(_check_limit(limit), MAX_PAGE)
        if cursor is not None and not isinstance(cursor, str):
            raise ValidationError("cursor must be a string (a page's next_cursor) or null")
        expr = _and(filter_expression(filter), "" if cursor is None else f"id > {quote(cursor)}")
        fields = ITEM_FIELDS + (["vector"] if with_vectors else [])
        rows = self._query(expr, fields, limit=limit + 1, ordered=True)
        rows.sort(key=lambda row: row["id"])      # already in order; cheap insurance
        page = [from_row(row, with_vectors) for row in rows[:limit]]
        return page, (page[-1].id if len(rows) > limit else None)

    def search_batch(self, vectors: Any, k: int = 10, filter: Any = None,
                     with_vectors: bool = False, *, score_threshold: float | None = None,
                     offset: int = 0) -> list[list[Hit]]:
        """:meth:`search` for several query vectors in one Milvus call: one list of hits
        per query, in order."""
        self._check_open()
        rows = [query_row(v, self.dim, self.metric) for v in vectors]
        window = make_window(k, offset, score_threshold)
        expr = filter_expression(filter)
        if not rows:
            return []
        rankings = self._search(np.vstack(rows), window.fetch, expr, with_vectors)
        return [cut_hits(window, hits) for hits in rankings]

    def delete_by_filter(self, filter: Any) -> int:
        """Remove every item matching ``filter`` (``{}``: every item); returns how many.

        Matching ids are paged in id order and removed page by page (a count is exact,
        and memory stays bounded): what matched when its page was read is removed; an
        item written meanwhile may or may not be.
        """
        self._check_open()
        expr = filter_expression(filter)
        removed, cursor = 0, None
        while True:
            page = self._query(_and(expr, "" if cursor is None else f"id > {quote(cursor)}"),
                               ["id"], limit=DELETE_PAGE, ordered=True)
            ids = sorted(row["id"] for row in page)
            if not ids:
                return removed
            self._remove(ids)
            removed += len(ids)
            if len(ids) < DELETE_PAGE:
                return removed
            cursor = ids[-1]

    def patch(self, item_id: str, payload: Mapping[str, Any] | None = None, *,
              tags: Sequence[str] | None = None, kind: str | None = None,
              answer: str | None = None) -> Item | None:
        """Change a stored item's metadata, keeping its vector; the item as now stored, or
        None if no item has that id (read, merge, write back: see the store's docstring)."""
        self._check_open()
        if not isinstance(item_id, str):
            raise ValidationError("id must be a string")
        current = self._fetch([item_id], with_vectors=True).get(item_id)
        if current is None:
            return None
        new = patched(current, payload, tags, kind, answer)
        self._write([to_row(new, np.asarray(current.vector, dtype=np.float32), 0)])
        return new

    def drop_everything(self) -> None:
        """Remove the whole Milvus collection (``MilvusCollections.delete`` calls this)."""
        with milvus_errors(f"drop of collection {self.name!r}"):
            self.client.drop_collection(self.collection)


def _check_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or not 1 <= limit <= 100_000:
        raise ValidationError(f"limit must be an integer from 1 to 100000, got {limit!r}")
    return int(limit)
