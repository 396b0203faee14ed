"""The memory methods, written once for every place they act on.

:class:`MemoryOps` turns each method's arguments into a :class:`~world2vec_client.calls.Call`
under a path prefix: ``""`` for the unscoped routes (the ``default`` collection, as the
service's ``/memories``, ``/search``, ``/qa`` are) or ``/collections/<name>`` for a
:class:`Collection`. It hands the call to ``_run``, which the sync client answers with
the result and the async client with an awaitable of it; so ``Client``, ``AsyncClient``
and both collection types share one definition of what each method sends and returns.

Each call says whether it is *idempotent* — safe to send twice — because that decides
whether the transport may resend it after a failure that could have reached the server
(see :mod:`world2vec_client.retry`): reads are (the POSTs of search, scroll, count, get
and qa too), deletes by id are, patches are, and so is an add (an upsert, as on the
server) whose items all carry ids. An add with an item without id would store that item
twice; a strict add (``upsert=False``) would fail with 409 the second time; a delete by
filter would also remove matching items written after the caller's request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from world2vec_client.calls import Call
from world2vec_client.models import Answer, Fetched, Hits, Item, Page
from world2vec_client.wire import id_list, item_to_wire, query_to_wire, quote_segment

T = TypeVar("T")
ItemLike = Mapping[str, Any] | Item
Filter = Mapping[str, Any]


class MemoryOps:
    """Add, read, search and remove memories under ``_prefix`` (see the module docstring).

    On an ``AsyncClient`` or ``AsyncCollection`` every method returns an awaitable of
    the result named here.
    """

    _prefix = ""

    def _run(self, call: Call[T]) -> T:
        raise NotImplementedError

    def _now(self, value: T) -> T:
        """A result known without a request, in the form ``_run`` gives results."""
        raise NotImplementedError

    # -- writing ----------------------------------------------------------------------
    def add(self, items: Iterable[ItemLike], *, upsert: bool = True) -> list[str]:
        """Store items and return their ids (the server's, for items sent without one).

        Each item is a mapping (or :class:`Item`) with ``id`` (optional), ``text`` and/or
        ``vector``, ``kind``, ``tags``, ``payload``, ``answer``. Like the service, an
        existing id is replaced (upsert); ``upsert=False`` refuses it with
        :class:`Conflict` instead. Only an upsert whose items all carry ids is retried
        after a failure that may have reached the server: sending it twice stores the
        same thing, whereas an item without an id would be stored twice.
        """
        wire = [item_to_wire(it, i) for i, it in enumerate(items)]
        if not wire:
            return self._now([])
        idempotent = bool(upsert) and all(w.get("id") is not None for w in wire)
        return self._run(Call("POST", f"{self._prefix}/memories",
                              body={"items": wire, "upsert": bool(upsert)},
                              parse=lambda out: _ids_from(out, wire), idempotent=idempotent))

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
        body: dict[str, Any] = {}
        if payload is not None:
            body["payload"] = dict(payload)
        if tags is not None:
            body["tags"] = id_list(tags, "tags")
        if kind is not None:
            body["kind"] = kind
        if answer is not None:
            body["answer"] = answer
        if not body:
            raise ValueError("give at least one of payload, tags, kind or answer")
        return self._run(Call("PATCH", f"{self._prefix}/memories/{quote_segment(id)}", body=body,
                              parse=Item.from_json))

    def delete(self, id: str, *, missing_ok: bool = False) -> bool:
        """Remove one memory. Returns True if it was removed; an absent id raises
        :class:`NotFound`, or returns False with ``missing_ok=True``."""
        return self._run(Call("DELETE", f"{self._prefix}/memories/{quote_segment(id)}",
                              parse=lambda _: True, done_on_retry=frozenset({404}),
                              instead={404: False} if missing_ok else {}))

    def delete_many(self, ids: Sequence[str] | None = None, *, filter: Filter | None = None
                    ) -> int:
        """Remove the items with these ids, or every item matching ``filter``; returns how
        many were removed. Ids absent are skipped. A delete by ids is resent after a lost
        answer (the count then misses what the first try removed); one by filter is not."""
        if (ids is None) == (filter is None):
            raise ValueError("give either ids or filter")
        body = {"ids": id_list(ids)} if ids is not None else {"filter": filter}
        return self._run(Call("POST", f"{self._prefix}/memories/delete", body=body,
                              parse=lambda out: int(out["deleted"]), idempotent=ids is not None))

    # -- reading ----------------------------------------------------------------------
    def get(self, id: str) -> Item:
        """One stored memory; :class:`NotFound` when there is none with this id."""
        return self._run(Call("GET", f"{self._prefix}/memories/{quote_segment(id)}",
                              parse=Item.from_json))

    def get_many(self, ids: Sequence[str]) -> Fetched:
        """Several stored memories in one request: ``.items`` found, ``.missing`` ids."""
        return self._run(Call("POST", f"{self._prefix}/memories/get", body={"ids": id_list(ids)},
                              parse=Fetched.from_json))

    def scroll(self, limit: int = 100, cursor: Any = None, *, filter: Filter | None = None,
               with_vectors: bool = False) -> Page:
        """One page of the stored items (optionally only those matching ``filter``).

        Pass the page's ``next_cursor`` to get the next one; it is None on the last page.
        Every item present for the whole scroll comes exactly once, even while others are
        written. ``iter_items`` follows the cursors for you.
        """
        body: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            body["cursor"] = cursor
        if filter is not None:
            body["filter"] = filter
        if with_vectors:
            body["with_vectors"] = True
        return self._run(Call("POST", f"{self._prefix}/memories/scroll", body=body,
                              parse=Page.from_json))

    def count(self, filter: Filter | None = None) -> int:
        """How many items are stored (that match ``filter``, when one is given)."""
        body = {} if filter is None else {"filter": filter}
        return self._run(Call("POST", f"{self._prefix}/memories/count", body=body,
                              parse=lambda out: int(out["count"])))

    def search(self, text: str | None = None, *, vector: Any = None, concept: str | None = None,
               k: int = 10, filter: Filter | None = None, score_threshold: float | None = None,
               offset: int | None = None, with_vectors: bool = False, mode: str | None = None
               ) -> Hits:
        """Nearest stored memories to a text, a vector or a concept, optionally filtered:
        ``filter={"kind": "fact", "tags": {"any": [...]}, "payload": {"year": {"gte": 2000}}}``.

        ``score_threshold`` drops weaker hits, ``offset`` skips the first ones (paging),
        ``with_vectors`` returns each hit's vector, ``mode`` is ``"dense"`` (vectors),
        ``"lexical"`` (words) or ``"hybrid"`` (both); the server's default when None.
        """
        body = query_to_wire(text, vector, concept)
        body.update(_search_options(k, filter, score_threshold, offset, with_vectors, mode))
        return self._run(Call("POST", f"{self._prefix}/search", body=body, parse=Hits.from_json))

    def search_batch(self, queries: Sequence[str | Mapping[str, Any]], k: int = 10, *,
                     filter: Filter | None = None, score_threshold: float | None = None,
                     offset: int | None = None, with_vectors: bool = False,
                     mode: str | None = None) -> list[Hits]:
        """Several searches in one request, one :class:`Hits` per query, in order.

        A query is a text, or a mapping with one of ``text``, ``vector``, ``concept``;
        the other options apply to every query as in :meth:`search`.
        """
        if isinstance(queries, (str, bytes)):
            raise ValueError("queries must be a list of queries, not one string")
        wire = []
        for i, q in enumerate(queries):
            if isinstance(q, str):
                q = {"text": q}
            if not isinstance(q, Mapping):
                raise ValueError(f"query {i}: a text or a mapping, not {type(q).__name__}")
            wire.append(query_to_wire(q.get("text"), q.get("vector"), q.get("concept"),
                                      f"query {i}"))
        body: dict[str, Any] = {"queries": wire}
        body.update(_search_options(k, filter, score_threshold, offset, with_vectors, mode))
        return self._run(Call("POST", f"{self._prefix}/search", body=body,
                              parse=lambda out: [Hits.from_json(b) for b in out["batches"]]))

    def qa(self, question: str, k: int | None = None, hops: int | None = None, *,
           filter: Filter | None = None) -> list[Answer]:
        """Answers to a question from the stored memories, each with its supporting ids.

        ``k`` answers (the server's default when None) after ``hops`` reasoning steps,
        drawn only from the memories that pass ``filter`` when one is given.
        """
        body: dict[str, Any] = {"question": question}
        if k is not None:
            body["k"] = k
        if hops is not None:
            body["hops"] = hops
        if filter is not None:
            body["filter"] = filter
        return self._run(Call("POST", f"{self._prefix}/qa", body=body,
                              parse=lambda out: [Answer.from_json(a)
                                                 for a in out.get("answers") or []]))


def _search_options(k: int, filter: Filter | None, score_threshold: float | None,
                    offset: int | None, with_vectors: bool, mode: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"k": k}
    if filter is not None:
        body["filter"] = filter
    if score_threshold is not None:
        body["score_threshold"] = score_threshold
    if offset is not None:
        body["offset"] = offset
    if with_vectors:
        body["with_vectors"] = True
    if mode is not None:
        body["mode"] = mode
    return body


def _ids_from(out: Any, wire: list[dict[str, Any]]) -> list[str]:
    if isinstance(out, Mapping):
        ids = out.get("ids")
        if isinstance(ids, list):
            return [str(i) for i in ids]
        items = out.get("items")
        if isinstance(items, list):
            return [str(i["id"]) if isinstance(i, Mapping) else str(i) for i in items]
    return [str(w["id"]) for w in wire if w.get("id") is not None]


def collection_prefix(name: str) -> str:
    """The path prefix of a collection's routes."""
    return f"/collections/{quote_segment(name, 'collection name')}"


def check_page_size(page_size: int) -> int:
    """``iter_items``' page size, refused before the first request when it is not one."""
    if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
        raise ValueError("page_size must be a positive integer")
    return page_size
