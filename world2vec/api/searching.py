"""Searching a collection in process: ``search`` and ``search_batch``, as POST /search.

Why a mixin of its own: the search has the most options (a text, a vector or a concept;
dense, lexical or hybrid; a threshold, an offset, vectors back; a batch of queries), and
each is checked and applied in the order the service's route applies them
(``service/routes_memories.py``, ``service/collections/search.py``), so the same call
gives the same hits, or the same refusal, in process and over HTTP. The ranking itself
is the memory layer's (``MemoryStore.search``, ``search_batch``, ``reader.search_mode``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from world2vec.api.checks import (
    MAX_K,
    MAX_QUERIES,
    check_bound,
    check_filter,
    check_vector,
    json_type,
    one_of,
    search_options,
)
from world2vec.api.encoding import concept_vector, text_vector, text_vector_or_none
from world2vec.api.errors import BadRequest, memory_errors
from world2vec.api.results import Hits, hit_result
from world2vec.memory.reader import DEFAULT_MODES, SEARCH_MODES, search_mode

Filter = Mapping[str, Any]


def query_vector(scope: Any, source: str, value: Any) -> np.ndarray:
    """The vector of one query (``source`` is text, vector or concept) in ``scope``."""
    if source == "vector":
        return check_vector(value, scope.dim)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{source}' must be a non-empty string", param=source)
    if source == "concept":
        return concept_vector(scope.model, value)[0]
    return text_vector(scope.model, value)


class Searching:
    """``search`` and ``search_batch`` over ``self._scope()`` (a collection's store and
    model, see :mod:`world2vec.api.collection`)."""

    def _scope(self) -> Any:
        raise NotImplementedError

    def search(self, text: str | None = None, *, vector: Any = None, concept: str | None = None,
               k: int = 10, filter: Filter | None = None, score_threshold: float | None = None,
               offset: int | None = None, with_vectors: bool = False, mode: str | None = None
               ) -> Hits:
        """Nearest stored memories to a text, a vector or a concept, optionally filtered:
        ``filter={"kind": "fact", "tags": {"any": [...]}, "payload": {"year": {"gte": 2000}}}``.

        ``score_threshold`` drops weaker hits, ``offset`` skips the first ones (paging),
        ``with_vectors`` returns each hit's vector, ``mode`` is ``"dense"`` (vectors),
        ``"lexical"`` (words) or ``"hybrid"`` (both); by default hybrid for a text, dense
        otherwise. ``hits.info["mode"]`` says which ranked them.
        """
        source = one_of(text=text, vector=vector, concept=concept)
        scope = self._scope()
        k = check_bound("k", k, MAX_K)
        flt = check_filter(filter)
        options = search_options(score_threshold, offset, with_vectors)
        value = {"text": text, "vector": vector, "concept": concept}[source]
        if source != "vector" and (not isinstance(value, str) or not value.strip()):
            raise BadRequest(f"'{source}' must be a non-empty string", param=source)
        if mode is not None and mode not in SEARCH_MODES:
            raise BadRequest(f"'mode' must be one of {', '.join(SEARCH_MODES)}, got "
                             f"{json_type(mode)} {mode!r}", param="mode")
        mode = mode or DEFAULT_MODES[source]
        if source == "vector" and mode != "dense":
            raise BadRequest(f"a vector query is searched in dense mode only ({mode} ranks the "
                             f"words of a 'text' or 'concept')", param="mode")
        if mode == "dense":
            vec = query_vector(scope, source, value)
            with memory_errors("filter"):
                hits = scope.store.search(vec, k, filter=flt, **options)
        else:
            if source != "text":
                vec = query_vector(scope, source, value)
            else:   # lexical ranks words alone; hybrid adds the text's vector if it has one
                vec = text_vector_or_none(scope.model, value) if mode == "hybrid" else None
            with memory_errors("filter"):
                hits = search_mode(scope.store, mode, k + options["offset"], text=value,
                                   vector=vec, filter=flt)
            if options["score_threshold"] is not None:
                hits = [h for h in hits if h.score >= options["score_threshold"]]
            hits = hits[options["offset"]:]
        return Hits([hit_result(h, options["with_vectors"]) for h in hits], {"mode": mode})

    def search_batch(self, queries: Sequence[str | Mapping[str, Any]], k: int = 10, *,
                     filter: Filter | None = None, score_threshold: float | None = None,
                     offset: int | None = None, with_vectors: bool = False,
                     mode: str | None = None) -> list[Hits]:
        """Several searches at once, one :class:`Hits` per query, in order (dense only).

        A query is a text, or a mapping with one of ``text``, ``vector``, ``concept``;
        the other options apply to every query as in :meth:`search`.
        """
        wanted = _batch_queries(queries)
        scope = self._scope()
        k = check_bound("k", k, MAX_K)
        flt = check_filter(filter)
        options = search_options(score_threshold, offset, with_vectors)
        if mode not in (None, "dense"):
            raise BadRequest("a batch of 'queries' is searched in dense mode only", param="mode")
        if not wanted:
            raise BadRequest("'queries' must be a non-empty list of queries", param="queries")
        if len(wanted) > MAX_QUERIES:
            raise BadRequest(f"'queries' has {len(wanted)} entries; at most {MAX_QUERIES}",
                             param="queries", slug="batch-too-large")
        vectors = []
        for position, (source, value) in enumerate(wanted):
            try:
                vectors.append(query_vector(scope, source, value))
            except BadRequest as exc:
                raise BadRequest(f"queries[{position}]: {exc.detail}", param="queries",
                                 slug=exc.type.rsplit("/", 1)[-1], position=position) from None
        with memory_errors("filter"):
            batches = scope.store.search_batch(vectors, k, filter=flt, **options)
        return [Hits([hit_result(h, options["with_vectors"]) for h in hits]) for hits in batches]


def _batch_queries(queries: Any) -> list[tuple[str, Any]]:
    """Each query as (text | vector | concept, value); refused as the client refuses it."""
    if isinstance(queries, (str, bytes)):
        raise ValueError("queries must be a list of queries, not one string")
    out = []
    for i, query in enumerate(queries):
        if isinstance(query, str):
            query = {"text": query}
        if not isinstance(query, Mapping):
            raise ValueError(f"query {i}: a text or a mapping, not {type(query).__name__}")
        given = [name for name in ("text", "vector", "concept") if query.get(name) is not None]
        if len(given) != 1:
            raise ValueError(f"query {i}: give exactly one of text, vector or concept")
        out.append((given[0], query[given[0]]))
    return out
