"""What POST /search takes beyond one query and ``k``: several ``queries`` at once, a
``score_threshold``, an ``offset`` and ``with_vectors``.

Kept apart from routes/memories.py so the search route only names them: parsing the
options, the batch of queries and the shape of a hit with its vector live here.
Scores are the collection's metric's (cosine, dot, or negative L2 distance), so a
threshold means "at least this score" for every metric.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from world2vec.memory import Hit
from world2vec.service.codec import type_name
from world2vec.service.errors import BadRequest
from world2vec.service.helpers import memory_hit, query_vector_from_body
from world2vec.service.params import body_int, check_known_fields

SEARCH_OPTIONS = frozenset({"queries", "score_threshold", "offset", "with_vectors"})
MAX_OFFSET = 10_000
MAX_QUERIES = 1_000


def search_options(body: dict) -> dict[str, Any]:
    """``score_threshold``, ``offset`` and ``with_vectors`` as keyword arguments of the
    store's search; each checked (a 400 naming it)."""
    threshold = body.get("score_threshold")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
                                  or not math.isfinite(threshold)):
        raise BadRequest(f"'score_threshold' must be a number, got {type_name(threshold)}",
                         param="score_threshold")
    with_vectors = body.get("with_vectors", False)
    if with_vectors is None:
        with_vectors = False
    if not isinstance(with_vectors, bool):
        raise BadRequest(f"'with_vectors' must be true or false, got {type_name(with_vectors)}",
                         param="with_vectors")
    return {"score_threshold": None if threshold is None else float(threshold),
            "offset": body_int(body, "offset", 0, 0, MAX_OFFSET), "with_vectors": with_vectors}


def hit_rows(hits: list[Hit], with_vectors: bool) -> list[dict]:
    """Result rows; each with its stored ``vector`` when asked."""
    rows = [memory_hit(h) for h in hits]
    if with_vectors:
        for row, hit in zip(rows, hits):
            row["vector"] = np.asarray(hit.item.vector, dtype=np.float32)
    return rows


def batch_search(st: Any, body: dict, k: int, flt: dict | None, options: dict) -> dict:
    """``{"queries": [{"text" | "vector" | "concept"}, ...]}`` -> ``{"batches": [{"results"}]}``,
    one FAISS call for all the queries where the index allows (``MemoryStore.search_batch``)."""
    given = [name for name in ("text", "vector", "concept") if body.get(name) is not None]
    if given:
        raise BadRequest(f"give 'queries' or one query, not both (got {', '.join(given)})",
                         param="queries")
    queries = body["queries"]
    if not isinstance(queries, list) or not queries:
        raise BadRequest("'queries' must be a non-empty list of queries", param="queries")
    if len(queries) > MAX_QUERIES:
        raise BadRequest(f"'queries' has {len(queries)} entries; at most {MAX_QUERIES}",
                         param="queries", slug="batch-too-large")
    vectors = []
    for position, query in enumerate(queries):
        if not isinstance(query, dict):
            raise BadRequest(f"queries[{position}] must be an object with one of text, vector "
                             f"or concept, got {type_name(query)}", param="queries",
                             position=position)
        try:
            check_known_fields(query, {"text", "vector", "concept"})
            vectors.append(query_vector_from_body(st, query)[0])
        except BadRequest as exc:
            raise BadRequest(f"queries[{position}]: {exc.detail}", param="queries",
                             slug=exc.slug, position=position) from None
    batches = st.store.search_batch(vectors, k, filter=flt, **options)
    return {"batches": [{"results": hit_rows(hits, options["with_vectors"])} for hits in batches]}
