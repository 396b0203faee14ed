"""The data operations of a store beyond add, get, search and delete: fetching and
counting many, scrolling, batch search, deleting by filter, patching metadata, and
exporting a consistent copy.

Why a mixin of its own: :class:`~world2vec.memory.store.MemoryStore` holds the state,
the locks and the write path; these operations are each a few lines *over* that
contract, so they live here and the store inherits them. What they use of the host
is small and fixed: ``_check_open()``; ``_reading()`` (the read lock and its
:class:`~world2vec.memory.view.ReadView`); ``_write_mutex``; ``_commit(record)`` and
``_delete_locked(ids)`` (the logged write path, under that mutex); ``_live_copy()``
(under it too); ``_order`` (a :class:`~world2vec.memory.ops.scrolling.SortedIds`),
``metric`` and ``dim``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from world2vec.memory.errors import ValidationError
from world2vec.memory.filters import Filter, parse_filter
from world2vec.memory.items import Hit, Item, as_query, check_id_arg, check_k, ids_of
from world2vec.memory.ops.patching import patched
from world2vec.memory.ops.scrolling import scroll_page
from world2vec.memory.searching import eligible_rows, make_window, search_hits_batch


class DataOperations:
    """Mixed into ``MemoryStore`` (see the module docstring for what it relies on)."""

    def delete_by_filter(self, filter: Filter | Mapping) -> int:
        """Remove every item matching ``filter`` (``{}``: every item); returns how many.

        The matching and the removal are one step for other writers (both under the
        write mutex): an item written after the call began is not removed by it.
        """
        self._check_open()
        flt = parse_filter(filter)
        with self._write_mutex:
            self._check_open()
            with self._reading() as view:
                rows = eligible_rows(view, flt)
                mask = view.table.live.view() if rows is None else rows.mask
                ids = [view.table.ids[r] for r in np.flatnonzero(mask).tolist()]
            return self._delete_locked(ids)

    def patch(self, item_id: str, payload: Mapping[str, Any] | None = None, *,
              tags: Sequence[str] | None = None, kind: str | None = None,
              answer: str | None = None) -> Item | None:
        """Change a stored item's metadata, keeping its vector; the item as now stored,
        or None if no item has that id. ``payload`` is merged into the stored one, the
        others replace theirs (``ops/patching.py``); logged like every write."""
        self._check_open()
        check_id_arg(item_id)
        with self._write_mutex:
            self._check_open()
            with self._reading() as view:
                row = view.table.row_of.get(item_id)
                current = None if row is None else view.item(row, with_vector=True)
            if current is None:
                return None
            new = patched(current, payload, tags, kind, answer)
            self._commit({"op": "put", "vectors": current.vector.tobytes(),
                          "items": [[new.id, new.kind, new.text, new.tags, new.payload,
                                     new.answer, new.created_at]]})
        return new

    def get_many(self, ids: Sequence[str], with_vectors: bool = True
                 ) -> tuple[list[Item], list[str]]:
        """The stored items of ``ids`` in their order, and the ids not stored."""
        self._check_open()
        ids = ids_of(ids)
        found, missing = [], []
        with self._reading() as view:
            for item_id in ids:
                row = view.table.row_of.get(item_id)
                if row is None:
                    missing.append(item_id)
                else:
                    found.append(view.item(row, with_vectors))
        return found, missing

    def count(self, filter: Filter | Mapping | None = None) -> int:
        """How many items are stored (that match ``filter``)."""
        self._check_open()
        flt = parse_filter(filter)
        if flt.is_empty:
            return len(self)
        with self._reading() as view:
            return eligible_rows(view, flt).eligible

    def scroll(self, limit: int = 100, cursor: str | None = None,
               filter: Filter | Mapping | None = None, with_vectors: bool = False
               ) -> tuple[list[Item], str | None]:
        """One page of items in id order after ``cursor`` (None: the first page), and the
        cursor of the next page (None after the last). An item stored for the whole
        scroll comes exactly once, whatever is written meanwhile (``ops/scrolling.py``)."""
        self._check_open()
        limit = check_k(limit, name="limit")
        if cursor is not None and not isinstance(cursor, str):
            raise ValidationError("cursor must be a string (a page's next_cursor) or null")
        flt = parse_filter(filter)
        with self._reading() as view:
            rows = None if flt.is_empty else eligible_rows(view, flt)
            return scroll_page(view, self._order.get(view), limit, cursor, rows, with_vectors)

    def search_batch(self, vectors: Any, k: int = 10, filter: Filter | Mapping | None = None,
                     with_vectors: bool = False, *, score_threshold: float | None = None,
                     offset: int = 0) -> list[list[Hit]]:
        """:meth:`search` for several query vectors at once (rows of an array, or a list):
        one list of hits per query, in order, from one FAISS call where the path allows."""
        self._check_open()
        rows = [as_query(v, self.dim, self.metric == "cosine") for v in vectors]
        window = make_window(k, offset, score_threshold)
        flt = parse_filter(filter)
        if not rows:
            return []
        queries = np.ascontiguousarray(np.vstack(rows), dtype=np.float32)
        with self._reading() as view:
            return search_hits_batch(view, queries, window, flt, with_vectors)

    def export(self) -> tuple[np.ndarray, dict]:
        """A consistent copy of the live items as a snapshot holds them: ``(vectors, meta)``
        for ``snapshot.write_snapshot`` (how an archive of the whole memory is taken
        while writes go on: they wait only for the copy, never for the disk)."""
        self._check_open()
        with self._write_mutex:
            return self._live_copy()
