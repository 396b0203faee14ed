"""MilvusStore: the memory's interface (MemoryStore's public methods) on one Milvus collection.

The service sees no difference between the backends: the same methods, arguments,
results and errors (a bad item is a ValidationError naming it, an existing id on ``add``
is ItemExists). What differs is where the state lives: here, all of it is in Milvus,
so any number of service processes or hosts can share one collection.

Consistency. Every read asks for Milvus's *Strong* consistency level (the collection is
also created with it): a read sees every write acknowledged before it started, by this
process or any other, as the embedded store does. Bounded staleness would be faster on
a busy cluster, but a client that adds a memory and searches at once must find it.

What Milvus does not give, and what follows:

* No uniqueness of ids on insert: every write is an *upsert*. ``add`` first asks which
  ids exist and refuses the batch if any does; two processes adding the same new id at
  the same moment both succeed, the later one winning (the embedded store, one process,
  refuses the second).
* No transactions: ``patch`` reads, merges and writes back; two concurrent patches of
  one item may lose one's change. ``delete_by_filter`` removes what matched when it ran.
* One write is one upsert call per chunk: a batch larger than a chunk can be seen half
  written by a concurrent reader, and a failure midway leaves the first chunks written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from world2vec.memory.errors import ItemExists, StoreClosed, ValidationError
from world2vec.memory.items import Hit, Item, check_k, ids_of
from world2vec.memory.milvus.checks import checked_batch, cut_hits, make_window, query_row
from world2vec.memory.milvus.errors import milvus_errors
from world2vec.memory.milvus.expressions import filter_expression, quote, string_list
from world2vec.memory.milvus.operations import DataOperations
from world2vec.memory.milvus.schema import (
    ITEM_FIELDS,
    MILVUS_METRIC,
    from_row,
    lexical_terms,
    to_row,
)

STRONG = "Strong"
WRITE_CHUNK = 1_000            # rows per upsert call (a gRPC message stays far below 64 MiB)
ID_CHUNK = 1_000               # ids per "id in [...]" expression


def combine(*parts: str) -> str:
    """And-ed expressions, empty ones left out."""
    parts = tuple(p for p in parts if p)
    return parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)


class MilvusStore(DataOperations):
    """One world2vec collection in Milvus (see the module docstring).

    ``client`` is a ``pymilvus.MilvusClient`` (thread-safe: one serves every request
    thread and every collection); ``collection`` is the Milvus collection's name,
    ``name`` the world2vec one. The collection must exist (``MilvusCollections`` creates
    them); ``search_params`` go to Milvus with every search (e.g. ``{"ef": 64}`` for HNSW).
    """

    def __init__(self, client: Any, collection: str, dim: int, metric: str = "cosine", *,
                 name: str | None = None, search_params: Mapping[str, Any] | None = None,
                 index: str = "AUTOINDEX", owns_client: bool = False) -> None:
        self.client = client
        self.collection = collection
        self.name = name or collection
        self._dim = int(dim)
        self.metric = metric
        self.index = index
        self.search_params = dict(search_params or {})
        self._owns_client = owns_client
        self._closed = False

    # -- properties ---------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self._dim

    def __len__(self) -> int:
        return self.count()

    def __contains__(self, item_id: object) -> bool:
        return isinstance(item_id, str) and bool(self._existing([item_id]))

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("the memory store is closed")

    # -- Milvus calls -------------------------------------------------------------
    def _query(self, expr: str, fields: list[str], limit: int | None = None,
               ordered: bool = False) -> list[dict]:
        """Rows matching ``expr``; ``ordered``: the first ``limit`` by id (Milvus's
        iterator mode, the order its query iterators page in)."""
        kwargs: dict[str, Any] = {"consistency_level": STRONG}
        if limit is not None:
            kwargs["limit"] = limit
        if ordered:
            kwargs["iterator"] = "True"
        with milvus_errors(f"query of collection {self.name!r}"):
            return list(self.client.query(self.collection, filter=expr, output_fields=fields,
                                          **kwargs))

    def _existing(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), ID_CHUNK):
            chunk = list(dict.fromkeys(ids[start: start + ID_CHUNK]))
            rows = self._query(f"id in {string_list(chunk)}", ["id"], limit=len(chunk))
            found.update(row["id"] for row in rows)
        return found

    def _fetch(self, ids: Sequence[str], with_vectors: bool) -> dict[str, Item]:
        fields = ITEM_FIELDS + (["vector"] if with_vectors else [])
        out: dict[str, Item] = {}
        for start in range(0, len(ids), ID_CHUNK):
            chunk = list(dict.fromkeys(ids[start: start + ID_CHUNK]))
            for row in self._query(f"id in {string_list(chunk)}", fields, limit=len(chunk)):
                out[row["id"]] = from_row(row, with_vectors)
        return out

    def _search(self, queries: np.ndarray, limit: int, expr: str, with_vectors: bool
                ) -> list[list[Hit]]:
        fields = ITEM_FIELDS + (["vector"] if with_vectors else [])
        params = {"metric_type": MILVUS_METRIC[self.metric], "params": self.search_params}
        with milvus_errors(f"search of collection {self.name!r}"):
            found = self.client.search(self.collection, data=queries.tolist(), anns_field="vector",
                                       limit=limit, filter=expr, output_fields=fields,
                                       search_params=params, consistency_level=STRONG)
        return [[Hit(hit["id"], self._score(hit["distance"]), from_row(hit["entity"], with_vectors))
                 for hit in ranking] for ranking in found]

    def _score(self, distance: float) -> float:
        """Milvus's distance as our score: IP as it is; L2 (squared) as minus the distance."""
        return -float(np.sqrt(max(distance, 0.0))) if self.metric == "l2" else float(distance)

    # -- writes -------------------------------------------------------------------
    def add(self, items: Iterable[Item | Mapping]) -> list[str]:
        """Add new items; :class:`ItemExists` (nothing written) if any id is stored."""
        return self._put(items, replace=False)

    def upsert(self, items: Iterable[Item | Mapping]) -> list[str]:
        """Add items, replacing any stored item with the same id."""
        return self._put(items, replace=True)

    def _put(self, items: Iterable[Item | Mapping], replace: bool) -> list[str]:
        self._check_open()
        batch, matrix = checked_batch(items, self._dim, self.metric)
        if not batch:
            return []
        rows = [to_row(item, matrix[position], position) for position, item in enumerate(batch)]
        if not replace:
            taken = self._existing([it.id for it in batch])
            for position, it in enumerate(batch):
                if it.id in taken:
                    raise ItemExists(f"item {position} (id {it.id!r}) already exists; "
                                     f"use upsert to replace it", it.id, position)
        self._write(rows)
        return [it.id for it in batch]

    def _write(self, rows: list[dict]) -> None:
        with milvus_errors(f"write to collection {self.name!r}"):
            for start in range(0, len(rows), WRITE_CHUNK):
                self.client.upsert(self.collection, rows[start: start + WRITE_CHUNK])

    def delete(self, item_id: str) -> bool:
        """Remove one item; False if it was not stored."""
        return self.delete_many([item_id]) == 1

    def delete_many(self, ids: Sequence[str]) -> int:
        """Remove items by id (unknown ids are skipped); returns how many were removed."""
        self._check_open()
        ids = list(dict.fromkeys(ids_of(ids)))
        present = [i for i in ids if i in self._existing(ids)] if ids else []
        self._remove(present)
        return len(present)

    def _remove(self, ids: list[str]) -> None:
        # By an expression of our own quoting: pymilvus's ``delete(ids=...)`` writes the ids
        # into single quotes unescaped, so an id with a backslash or a quote breaks it.
        with milvus_errors(f"delete from collection {self.name!r}"):
            for start in range(0, len(ids), ID_CHUNK):
                chunk = ids[start: start + ID_CHUNK]
                self.client.delete(self.collection, filter=f"id in {string_list(chunk)}")

    # -- reads --------------------------------------------------------------------
    def get(self, item_id: str) -> Item | None:
        """The stored item (with its vector: unit for cosine), or None."""
        self._check_open()
        if not isinstance(item_id, str):
            raise ValidationError("id must be a string")
        return self._fetch([item_id], with_vectors=True).get(item_id)

    def search(self, vector: Any, k: int = 10, filter: Any = None,
               exclude_ids: Iterable[str] = (), with_vectors: bool = False, *,
               score_threshold: float | None = None, offset: int = 0) -> list[Hit]:
        """The ``k`` stored items nearest to ``vector`` by the collection's metric, best
        first; ``filter`` is evaluated inside Milvus's search (k hits whenever k items
        match); ``exclude_ids``, ``offset``, ``score_threshold`` as the embedded store."""
        self._check_open()
        query = query_row(vector, self._dim, self.metric)
        window = make_window(k, offset, score_threshold)
        exclude = [exclude_ids] if isinstance(exclude_ids, str) else list(exclude_ids)
        expr = combine(filter_expression(filter),
                       f"id not in {string_list(exclude)}" if exclude else "")
        hits = self._search(query.reshape(1, -1), window.fetch, expr, with_vectors)[0]
        return cut_hits(window, hits)

    def search_by_id(self, item_id: str, k: int = 10, filter: Any = None,
                     with_vectors: bool = False) -> list[Hit] | None:
        """The ``k`` items most similar to the stored item ``item_id``, itself excluded;
        None if no item has that id."""
        self._check_open()
        if not isinstance(item_id, str):
            raise ValidationError("id must be a string")
        k = check_k(k)
        expr = filter_expression(filter)
        own = self.get(item_id)
        if own is None:
            return None
        query = own.vector.reshape(1, -1)
        return self._search(query, k, combine(expr, f"id != {quote(item_id)}"), with_vectors)[0]

    def lexical_search(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        """BM25 ranking of stored items by their text (and answer): ``[(id, score)]``,
        computed by Milvus's own full-text search (the ``sparse`` field's BM25 function)."""
        self._check_open()
        if not isinstance(query, str):
            raise ValidationError("query must be a string")
        k = check_k(k)
        words = lexical_terms(query)     # the terms the stored texts were indexed by
        if not words:
            return []
        with milvus_errors(f"full-text search of collection {self.name!r}"):
            found = self.client.search(self.collection, data=[words], anns_field="sparse",
                                       limit=k, output_fields=["id"],
                                       search_params={"metric_type": "BM25"},
                                       consistency_level=STRONG)
        # Milvus Lite reports BM25 scores negated (as distances), a server as they are.
        return [(hit["id"], abs(float(hit["distance"]))) for hit in found[0]]

    # -- maintenance --------------------------------------------------------------
    def refresh(self) -> None:
        """Nothing to do: Milvus builds its indexes itself (kept for interface parity)."""
        self._check_open()

    def stats(self) -> dict:
        return {"items": len(self), "index": self.index, "metric": self.metric,
                "backend": "milvus", "collection": self.collection}

    def close(self, snapshot: bool = True) -> None:
        """Forget the collection (and close the client if this store opened it). The data
        stays in Milvus; ``snapshot`` is accepted for parity and means nothing here."""
        if self._closed:
            return
        self._closed = True
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> MilvusStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
