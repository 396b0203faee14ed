"""The world2vec client: one method per REST route of DESIGN.md, typed results.

Each method says whether its request is *idempotent* — safe to send twice — because
that decides whether the transport may retry it after a failure that could have
reached the server (see :mod:`world2vec_client.transport`): reads are, deletes are,
and so is an add (an upsert, as on the server) whose items all carry ids; an add with
an item without id would store that item twice, and a strict add (``upsert=False``)
would fail with 409 the second time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import numpy as np

from world2vec_client import __version__
from world2vec_client.batch import BatchReport, add_in_batches
from world2vec_client.errors import NotFound
from world2vec_client.models import Answer, FilterDecision, Health, Hits, Item, to_matrix
from world2vec_client.transport import RetryPolicy, Transport

ItemLike = Mapping[str, Any] | Item


class Client:
    """A connection to one world2vec service.

    ``Client("http://127.0.0.1:8000", api_key=None, timeout=10)``. ``timeout`` is in
    seconds (or a ``(connect, read)`` pair) and applies to every request; ``retries``
    and ``backoff`` tune the retry rule; ``format="msgpack"`` sends and receives
    msgpack, with vectors as raw little-endian float32 (smaller and faster than JSON
    for /encode and bulk adds). Use it as a context manager, or call :meth:`close`,
    to release its pooled connections.
    """

    def __init__(self, url: str = "http://127.0.0.1:8000", api_key: str | None = None,
                 timeout: float | tuple[float, float] = 10, *, format: str = "json",
                 retries: int = 3, backoff: float = 0.25, backoff_max: float = 8.0,
                 session: Any = None, sleep: Callable[[float], None] | None = None) -> None:
        kwargs: dict[str, Any] = {}
        if sleep is not None:
            kwargs["sleep"] = sleep
        self._t = Transport(url, api_key=api_key, timeout=timeout, fmt=format,
                            retry=RetryPolicy(retries, backoff, backoff_max), session=session,
                            user_agent=f"world2vec-client/{__version__}", **kwargs)

    @property
    def url(self) -> str:
        return self._t.base_url.rstrip("/")

    @property
    def format(self) -> str:
        return self._t.fmt

    # -- lifecycle ------------------------------------------------------------------
    def close(self) -> None:
        """Close pooled connections; the client must not be used afterwards."""
        self._t.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.url!r}, format={self.format!r})"

    # -- model queries --------------------------------------------------------------
    def health(self) -> Health:
        """Service status, model name and dimension, number of stored items."""
        return Health.from_json(self._t.request("GET", "/health"))

    def similar(self, concept: str | None = None, k: int = 10, *, text: str | None = None,
                id: str | None = None, kind: str | None = None,
                filter: Mapping[str, Any] | None = None) -> Hits:
        """Nearest concepts to a concept or a free text, or nearest memories to a stored one.

        Give exactly one of ``concept``, ``text`` or ``id``. ``kind``/``filter`` narrow
        the results like :meth:`search`'s filter.
        """
        given = [name for name, v in (("concept", concept), ("text", text), ("id", id))
                 if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of concept, text or id")
        params = {"concept": concept, "text": text, "id": id, "k": k, "kind": kind,
                  "filter": None if filter is None else json.dumps(filter)}
        return Hits.from_json(self._t.request("GET", "/similar", params=params))

    def compose(self, expr: str, k: int = 10) -> Hits:
        """Vector arithmetic, e.g. ``"king - man + woman"`` or ``"0.5*paris + rome"``."""
        return Hits.from_json(self._t.request("GET", "/compose", params={"expr": expr, "k": k}))

    def analogy(self, a: str, b: str, c: str, k: int = 10, method: str = "add") -> Hits:
        """``a : b :: c : ?`` by 3CosAdd (``method="add"``) or 3CosMul (``"mul"``)."""
        params = {"a": a, "b": b, "c": c, "k": k, "method": method}
        return Hits.from_json(self._t.request("GET", "/analogy", params=params))

    def encode(self, concepts: Sequence[str] | None = None, *,
               texts: Sequence[str] | None = None) -> np.ndarray:
        """Vectors for concepts or texts as a float32 array of shape (n, dim)."""
        if (concepts is None) == (texts is None):
            raise ValueError("give either concepts or texts")
        values = concepts if concepts is not None else texts
        if isinstance(values, str):
            raise ValueError("concepts/texts must be a list of strings, not one string")
        body = {"concepts": list(values)} if concepts is not None else {"texts": list(values)}
        out = self._t.request("POST", "/encode", body=body)
        return to_matrix(out.get("vectors") or [], out.get("dim"))

    # -- memories -------------------------------------------------------------------
    def add(self, items: Iterable[ItemLike], *, upsert: bool = True) -> list[str]:
        """Store items and return their ids (the server's, for items sent without one).

        Each item is a mapping (or :class:`Item`) with ``id`` (optional), ``text`` and/or
        ``vector``, ``kind``, ``tags``, ``payload``, ``answer``. Like the service, an
        existing id is replaced (upsert); ``upsert=False`` refuses it with
        :class:`Conflict` instead. Only an upsert whose items all carry ids is retried
        after a failure that may have reached the server: sending it twice stores the
        same thing, whereas an item without an id would be stored twice.
        """
        wire = [self._item_to_wire(it, i) for i, it in enumerate(items)]
        if not wire:
            return []
        body: dict[str, Any] = {"items": wire, "upsert": bool(upsert)}
        idempotent = bool(upsert) and all(w.get("id") is not None for w in wire)
        out = self._t.request("POST", "/memories", body=body, idempotent=idempotent)
        return _ids_from(out, wire)

    def upsert(self, items: Iterable[ItemLike]) -> list[str]:
        """:meth:`add` with ``upsert=True`` (the default), for code that wants to say so."""
        return self.add(items, upsert=True)

    def add_many(self, items: Iterable[ItemLike], *, batch_size: int = 500, upsert: bool = True,
                 progress: bool | Callable[[int, int | None], None] = False,
                 stop_on_error: bool = False, assign_ids: bool = True) -> BatchReport:
        """Add many items in batches and report, item by item, what failed.

        A batch the server refuses as a whole for a caller's mistake (400, 409, 413) is
        split in halves until the bad items are isolated, so one bad item does not cost
        the 499 good ones beside it. Items without an id get a random one here
        (``assign_ids``, the same uuid4 hex form the server would give), which makes every
        batch an upsert by id that is safe to retry after a 503 or a broken connection.
        ``progress=True`` draws a bar on stderr; a callable gets ``(items_done,
        total_or_None)`` after each batch.
        """
        return add_in_batches(self.add, items, batch_size=batch_size, upsert=upsert,
                              progress=progress, stop_on_error=stop_on_error,
                              to_wire=self._item_to_wire, assign_ids=assign_ids)

    def get(self, id: str) -> Item:
        """One stored memory; :class:`NotFound` when there is none with this id."""
        return Item.from_json(self._t.request("GET", f"/memories/{_quote(id)}"))

    def delete(self, id: str, *, missing_ok: bool = False) -> bool:
        """Remove one memory. Returns True if it was removed; an absent id raises
        :class:`NotFound`, or returns False with ``missing_ok=True``."""
        try:
            self._t.request("DELETE", f"/memories/{_quote(id)}", idempotent=True,
                            done_on_retry=frozenset({404}))
        except NotFound:
            if missing_ok:
                return False
            raise
        return True

    def search(self, text: str | None = None, *, vector: Any = None, concept: str | None = None,
               k: int = 10, filter: Mapping[str, Any] | None = None) -> Hits:
        """Nearest stored memories to a text, a vector or a concept, optionally filtered:
        ``filter={"kind": "fact", "tags": {"any": [...]}, "payload": {"year": {"gte": 2000}}}``.
        """
        given = [v for v in (text, vector, concept) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, vector or concept")
        body: dict[str, Any] = {"k": k}
        if text is not None:
            body["text"] = text
        elif concept is not None:
            body["concept"] = concept
        else:
            body["vector"] = _vector(vector, "vector")
        if filter is not None:
            body["filter"] = filter
        return Hits.from_json(self._t.request("POST", "/search", body=body))

    def qa(self, question: str, k: int | None = None, hops: int | None = None, *,
           filter: Mapping[str, Any] | None = None) -> list[Answer]:
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
        out = self._t.request("POST", "/qa", body=body)
        return [Answer.from_json(a) for a in out.get("answers") or []]

    def filter(self, items: Sequence[str], allow: Sequence[str] = (), block: Sequence[str] = (),
               threshold: float | None = None) -> list[FilterDecision]:
        """Content filtering: an allow/block/neutral decision with its score for each text."""
        if isinstance(items, str):
            raise ValueError("items must be a list of texts, not one string")
        body: dict[str, Any] = {"items": list(items), "allow": list(allow), "block": list(block)}
        if threshold is not None:
            body["threshold"] = threshold
        out = self._t.request("POST", "/filter", body=body)
        return [FilterDecision.from_json(r, items[i] if i < len(items) else None)
                for i, r in enumerate(out.get("results") or [])]

    # -- service documents ----------------------------------------------------------
    def metrics(self) -> str:
        """The Prometheus text from /metrics."""
        return self._t.request("GET", "/metrics")

    def openapi(self) -> dict:
        """The service's OpenAPI 3 document."""
        return self._t.request("GET", "/openapi.json")

    # -- helpers --------------------------------------------------------------------
    def _item_to_wire(self, item: ItemLike, position: int) -> dict[str, Any]:
        if isinstance(item, Item):
            obj: dict[str, Any] = {"id": item.id, "kind": item.kind, "text": item.text,
                                   "tags": item.tags, "payload": item.payload,
                                   "answer": item.answer, "vector": item.vector}
            obj = {k: v for k, v in obj.items() if v is not None}
        elif isinstance(item, Mapping):
            obj = dict(item)
        else:
            raise TypeError(f"item {position}: expected a mapping or Item, got "
                            f"{type(item).__name__}")
        if obj.get("vector") is not None:
            obj["vector"] = _vector(obj["vector"], f"item {position} ({obj.get('id', 'no id')})")
        return obj


def _quote(item_id: str) -> str:
    if not isinstance(item_id, str) or not item_id:
        raise ValueError("id must be a non-empty string")
    return quote(item_id, safe="")


def _vector(value: Any, what: str) -> np.ndarray:
    """A 1-D finite float32 array: the transport sends it as a list (JSON) or raw bytes."""
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: not a vector of numbers") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{what}: a vector must be one non-empty row of numbers, "
                         f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what}: the vector holds NaN or infinity")
    return arr


def _ids_from(out: Any, wire: list[dict[str, Any]]) -> list[str]:
    if isinstance(out, Mapping):
        ids = out.get("ids")
        if isinstance(ids, list):
            return [str(i) for i in ids]
        items = out.get("items")
        if isinstance(items, list):
            return [str(i["id"]) if isinstance(i, Mapping) else str(i) for i in items]
    return [str(w["id"]) for w in wire if w.get("id") is not None]
