"""The memory methods of the in-process API, written once for every place they act on.

As the client's ``MemoryOps`` is shared by ``Client`` (the ``default`` collection) and
its ``Collection`` s, :class:`MemoryMethods` is shared by :class:`world2vec.Memory` and
:class:`world2vec.api.collection.Collection`: each says only which collection it means
(``_scope()``), and every method does there what the service's route does -- the same
checks, the same store call, the same result type and the same error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from world2vec.api.checks import (
    MAX_HOPS,
    MAX_K,
    MAX_PAGE,
    check_bound,
    check_filter,
    check_flag,
    check_id,
    id_list,
    json_type,
)
from world2vec.api.encoding import encode_missing
from world2vec.api.errors import BadRequest, NotFound, memory_errors
from world2vec.api.results import OBJECT_KEY, Answer, Fetched, Item, Page, item_result
from world2vec.api.searching import Searching
from world2vec.memory import Item as StoredItem

ItemLike = Mapping[str, Any] | Item
Filter = Mapping[str, Any]


def _unknown_id(item_id: str) -> NotFound:
    return NotFound(f"no stored memory has id {item_id!r}", slug="unknown-id", id=item_id)


def stored_item(obj: Any, position: int, dim: int) -> StoredItem:
    """One item to add (a mapping or an :class:`Item`), checked as the service checks it."""
    if isinstance(obj, Item):
        obj = {"id": obj.id, "kind": obj.kind, "text": obj.text, "tags": obj.tags,
               "payload": obj.payload, "answer": obj.answer, "vector": obj.vector}
        obj = {k: v for k, v in obj.items() if v is not None}
    elif not isinstance(obj, Mapping):
        raise TypeError(f"item {position}: expected a mapping or Item, got {type(obj).__name__}")
    with memory_errors("items", "invalid-item"):
        item = StoredItem.from_dict(dict(obj), position)
    if item.vector is not None and item.vector.shape[0] != dim:
        raise BadRequest(f"item {position}: 'vector' has dimension {item.vector.shape[0]}, the "
                         f"model's is {dim}", param="items", slug="wrong-dimension",
                         position=position, id=item.id)
    if OBJECT_KEY in item.payload:
        raise BadRequest(f"item {position}: the payload key {OBJECT_KEY!r} is reserved for the "
                         f"item's 'object'", param="items", slug="invalid-item",
                         position=position, id=item.id)
    if item.vector is None and not (item.text and item.text.strip()):
        raise BadRequest(f"item {position}: give 'text' (to be encoded) or 'vector'",
                         param="items", slug="invalid-item", position=position, id=item.id)
    return item


class MemoryMethods(Searching):
    """Add, read, search and remove memories in ``self._scope()`` (see the module docstring)."""

    # -- writing ----------------------------------------------------------------------
    def add(self, items: Iterable[ItemLike], *, upsert: bool = True) -> list[str]:
        """Store items and return their ids (generated for items without one).

        Each item is a mapping (or :class:`Item`) with ``id`` (optional), ``text`` and/or
        ``vector``, ``kind``, ``tags``, ``payload``, ``answer``; an item with only text is
        encoded by the model. An existing id is replaced (upsert); ``upsert=False``
        raises :class:`Conflict` instead. The batch is written whole or not at all.
        """
        if isinstance(items, (Mapping, Item, str)):
            raise TypeError("items must be a list of items")
        items = list(items)
        if not items:
            return []
        scope = self._scope()
        batch = [stored_item(obj, i, scope.dim) for i, obj in enumerate(items)]
        encode_missing(scope.model, batch)
        with memory_errors("items", "invalid-item"):
            return scope.store.upsert(batch) if upsert else scope.store.add(batch)

    def upsert(self, items: Iterable[ItemLike]) -> list[str]:
        """:meth:`add` with ``upsert=True`` (the default), for code that wants to say so."""
        return self.add(items, upsert=True)

    def patch(self, id: str, payload: Mapping[str, Any] | None = None, *,
              tags: Sequence[str] | None = None, kind: str | None = None,
              answer: str | None = None) -> Item:
        """Change a stored item's metadata and return it; its vector is kept.

        ``payload`` is merged into the stored one (keys given replace, others stay);
        ``tags``, ``kind`` and ``answer`` replace what was there.
        """
        check_id(id)
        changes: dict[str, Any] = {name: value for name, value in (
            ("payload", payload), ("tags", tags), ("kind", kind), ("answer", answer))
            if value is not None}
        if not changes:
            raise ValueError("give at least one of payload, tags, kind or answer")
        if "tags" in changes:
            changes["tags"] = id_list(tags, "tags")
        scope = self._scope()
        if "payload" in changes and not isinstance(payload, Mapping):
            raise BadRequest(f"'payload' must be an object, got {json_type(payload)}",
                             param="payload")
        for name in ("kind", "answer"):
            if name in changes and not isinstance(changes[name], str):
                raise BadRequest(f"'{name}' must be a string, got {json_type(changes[name])}",
                                 param=name)
        with memory_errors(next(iter(changes)), "invalid-item"):
            item = scope.store.patch(id, None if payload is None else dict(payload),
                                     tags=changes.get("tags"), kind=kind, answer=answer)
        if item is None:
            raise _unknown_id(id)
        return item_result(item)

    def delete(self, id: str, *, missing_ok: bool = False) -> bool:
        """Remove one memory. True if removed; an absent id raises :class:`NotFound`, or
        returns False with ``missing_ok=True``."""
        check_id(id)
        with memory_errors():
            if self._scope().store.delete(id):
                return True
        if missing_ok:
            return False
        raise _unknown_id(id)

    def delete_many(self, ids: Sequence[str] | None = None, *, filter: Filter | None = None
                    ) -> int:
        """Remove the items with these ids (absent ones skipped), or every item matching
        ``filter`` (``{}`` matches every item); returns how many were removed."""
        if (ids is None) == (filter is None):
            raise ValueError("give either ids or filter")
        wanted = id_list(ids) if ids is not None else None
        scope = self._scope()
        with memory_errors():
            if wanted is not None:
                return scope.store.delete_many(wanted)
            return scope.store.delete_by_filter(check_filter(filter))

    # -- reading ----------------------------------------------------------------------
    def get(self, id: str) -> Item:
        """One stored memory (with its vector); :class:`NotFound` when there is none."""
        check_id(id)
        with memory_errors():
            stored = self._scope().store.get(id)
        if stored is None:
            raise _unknown_id(id)
        return item_result(stored)

    def get_many(self, ids: Sequence[str]) -> Fetched:
        """Several stored memories (with their vectors): ``.items`` found, in the order
        asked, and ``.missing`` ids."""
        wanted = id_list(ids)
        with memory_errors("ids"):
            found, missing = self._scope().store.get_many(wanted, True)
        return Fetched([item_result(item) for item in found], list(missing))

    def scroll(self, limit: int = 100, cursor: Any = None, *, filter: Filter | None = None,
               with_vectors: bool = False) -> Page:
        """One page of the stored items in id order (optionally only those matching
        ``filter``). Pass the page's ``next_cursor`` to get the next one; it is None on
        the last page. Every item present for the whole scroll comes exactly once, even
        while others are written. :meth:`iter_items` follows the cursors for you.
        """
        scope = self._scope()
        limit = check_bound("limit", limit, MAX_PAGE)
        if cursor is not None and (not isinstance(cursor, str) or not cursor):
            raise BadRequest("'cursor' must be the next_cursor of the page before (or absent "
                             "for the first page)", param="cursor")
        flt = check_filter(filter)
        with_vectors = check_flag("with_vectors", with_vectors)
        with memory_errors():
            items, next_cursor = scope.store.scroll(limit, cursor, flt, with_vectors)
        return Page([item_result(it, with_vectors) for it in items], next_cursor)

    def iter_items(self, filter: Filter | None = None, *, page_size: int = 100,
                   with_vectors: bool = False) -> Iterator[Item]:
        """Every stored item (matching ``filter``), page after page of :meth:`scroll`."""
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise ValueError("page_size must be a positive integer")
        cursor = None
        while True:
            page = self.scroll(page_size, cursor, filter=filter, with_vectors=with_vectors)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def count(self, filter: Filter | None = None) -> int:
        """How many items are stored (that match ``filter``, when one is given)."""
        scope = self._scope()
        flt = check_filter(filter)
        with memory_errors():
            return scope.store.count(flt)

    def qa(self, question: str, k: int | None = None, hops: int | None = None, *,
           filter: Filter | None = None) -> list[Answer]:
        """Answers to a question from the stored memories, each with its supporting ids
        (``k`` answers, default 5, after ``hops`` reasoning steps, default 2), drawn only
        from the memories that pass ``filter`` when one is given."""
        scope = self._scope()
        if not isinstance(question, str) or not question.strip():
            raise BadRequest("'question' must be a non-empty string", param="question")
        k = check_bound("k", 5 if k is None else k, MAX_K)
        hops = check_bound("hops", 2 if hops is None else hops, MAX_HOPS)
        flt = check_filter(filter)
        reader = scope.reader
        try:
            with memory_errors("filter" if flt else "question", "bad-request"):
                answers = reader.answer(question, k=k, hops=hops, filter=flt)
        except BadRequest:
            raise
        except (ValueError, KeyError) as exc:
            raise BadRequest(f"cannot encode the question: {exc}", param="question",
                             slug="unencodable-text") from None
        return [Answer(id=a.id, answer=a.answer, score=float(a.score), support=list(a.support))
                for a in answers]

