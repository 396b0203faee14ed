"""Routes over the stored memories: /memories, /search, /qa, /filter.

Thin adapters: read the parameters, call the memory (or, for /filter, the embeddings
layer's classifier), shape the answer. Errors of the layers below are answered by
errors.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flask import Blueprint, request

from world2vec.embeddings.arithmetic import DEFAULT_THRESHOLD, classify
from world2vec.embeddings.concepts import concept_vectors
from world2vec.memory import Item, ValidationError
from world2vec.service.codec import decode_body, type_name
from world2vec.service.collections.search import (
    SEARCH_OPTIONS,
    batch_search,
    hit_rows,
    search_options,
)
from world2vec.service.errors import BadRequest, NotFound, about
from world2vec.service.helpers import (
    encode_texts,
    item_document,
    query_vector_from_body,
    reply,
    state,
)
from world2vec.service.params import body_float, body_int, body_str, body_str_list, check_known_fields
from world2vec.service.state import ServiceState

bp = Blueprint("memories", __name__)


@bp.post("/memories")
def add_memories():
    """Add or upsert a batch; validated whole, written (fsync'd) whole, or not at all."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"items", "upsert"})
    raw_items = body.get("items")
    if raw_items is None:
        raise BadRequest("missing field 'items'", param="items", slug="missing-parameter")
    if not isinstance(raw_items, list):
        raise BadRequest(f"'items' must be a list of items, got {type_name(raw_items)}",
                         param="items")
    if not raw_items:
        raise BadRequest("'items' must not be empty", param="items")
    if len(raw_items) > st.config.max_batch:
        raise BadRequest(f"'items' has {len(raw_items)} entries; at most {st.config.max_batch} "
                         f"per request", param="items", slug="batch-too-large")
    upsert = body.get("upsert", True)
    if not isinstance(upsert, bool):
        raise BadRequest(f"'upsert' must be true or false, got {type_name(upsert)}", param="upsert")
    items = [_item_from_wire(st, obj, position) for position, obj in enumerate(raw_items)]
    _encode_missing_vectors(st, items)
    ids = st.store.upsert(items) if upsert else st.store.add(items)
    return reply({"ids": ids, "count": len(ids)})


def _item_from_wire(st: ServiceState, obj: Any, position: int) -> Item:
    if isinstance(obj, dict) and isinstance(obj.get("vector"), (bytes, bytearray)):
        raw = obj["vector"]
        if len(raw) % 4:
            raise BadRequest(f"item {position}: 'vector' as bytes must hold float32 values",
                             param="items", slug="invalid-item", position=position)
        obj = {**obj, "vector": np.frombuffer(bytes(raw), dtype="<f4").astype(np.float32)}
    item = Item.from_dict(obj, position)
    if item.vector is not None and item.vector.shape[0] != st.dim:
        raise BadRequest(f"item {position}: 'vector' has dimension {item.vector.shape[0]}, the "
                         f"model's is {st.dim}", param="items", slug="wrong-dimension",
                         position=position, id=item.id)
    if item.vector is None and not (item.text and item.text.strip()):
        raise BadRequest(f"item {position}: give 'text' (to be encoded) or 'vector'",
                         param="items", slug="invalid-item", position=position, id=item.id)
    return item


def _encode_missing_vectors(st: ServiceState, items: list[Item]) -> None:
    todo = [i for i, item in enumerate(items) if item.vector is None]
    if not todo:
        return
    texts = [items[i].text for i in todo]
    try:
        vectors = np.asarray(st.model.encode_texts(texts), dtype=np.float32)
    except (ValueError, KeyError):
        for i in todo:  # find the text that cannot be encoded, to name it
            try:
                st.model.encode_texts([items[i].text])
            except (ValueError, KeyError) as exc:
                raise BadRequest(f"item {i}: cannot encode its text: {exc}", param="items",
                                 slug="unencodable-text", position=i, id=items[i].id) from None
        raise
    for row, i in enumerate(todo):
        items[i].vector = vectors[row]


@bp.get("/memories/<path:item_id>")
def get_memory(item_id: str):
    st = state()
    item = st.store.get(item_id)
    if item is None:
        raise NotFound(f"no stored memory has id {item_id!r}", slug="unknown-id", id=item_id)
    return reply(item_document(item))


@bp.delete("/memories/<path:item_id>")
def delete_memory(item_id: str):
    st = state()
    if not st.store.delete(item_id):
        raise NotFound(f"no stored memory has id {item_id!r}", slug="unknown-id", id=item_id)
    return reply({"id": item_id, "deleted": True})


@bp.post("/search")
def search():
    """Nearest stored memories to a text, a vector or a concept (or to each of several
    ``queries``), inside a filter; options in collections/search.py."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"text", "vector", "concept", "k", "filter", *SEARCH_OPTIONS})
    k = body_int(body, "k", 10, 1, st.config.max_k)
    flt = body.get("filter")
    if flt is not None and not isinstance(flt, dict):
        raise BadRequest(f"'filter' must be an object, got {type_name(flt)}", param="filter")
    options = search_options(body)
    if "queries" in body:
        return reply(batch_search(st, body, k, flt, options))
    vec, _ = query_vector_from_body(st, body)
    hits = st.store.search(vec, k, filter=flt, **options)
    return reply({"results": hit_rows(hits, options["with_vectors"])})


@bp.post("/qa")
def qa():
    """Answer a question from the memory with the multi-hop reader."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"question", "k", "hops", "filter"})
    question = body_str(body, "question", required=True)
    k = body_int(body, "k", 5, 1, st.config.max_k)
    hops = body_int(body, "hops", 2, 1, st.config.max_hops)
    flt = body.get("filter")
    if flt is not None and not isinstance(flt, dict):
        raise BadRequest(f"'filter' must be an object, got {type_name(flt)}", param="filter")
    try:
        # The reader's own checks (a filter, or hops past its limit) have always named
        # the filter, or else the question, as a plain bad request.
        with about("filter" if flt else "question", slug="bad-request"):
            answers = st.reader.answer(question, k=k, hops=hops, filter=flt)
    except ValidationError:
        raise  # answered by errors.py, as noted above
    except (ValueError, KeyError) as exc:
        raise BadRequest(f"cannot encode the question: {exc}", param="question",
                         slug="unencodable-text") from None
    return reply({"question": question, "answers": [
        {"id": a.id, "answer": a.answer, "score": float(a.score), "support": list(a.support)}
        for a in answers]})


@bp.post("/filter", endpoint="filter")
def filter_route():
    """Allow/block/neutral per text, with the score and the concept that decided it
    (the rule: ``world2vec.embeddings.arithmetic.classify``)."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"items", "allow", "block", "threshold"})
    texts = body_str_list(body, "items", st.config.max_batch, required=True)
    allow = body_str_list(body, "allow", 1000, allow_empty=True) or []
    block = body_str_list(body, "block", 1000, allow_empty=True) or []
    if not allow and not block:
        raise BadRequest("give at least one concept in 'allow' or 'block'", param="allow",
                         slug="missing-parameter")
    threshold = body_float(body, "threshold", DEFAULT_THRESHOLD, -1.0, 1.0)
    text_vecs = encode_texts(st, texts, "items")
    with about("allow"):
        allow_vecs = concept_vectors(st.model.words, allow)[0]
    with about("block"):
        block_vecs = concept_vectors(st.model.words, block)[0]
    decisions = classify(text_vecs, allow, allow_vecs, block, block_vecs, threshold)
    results = [{"index": i, "text": text, "decision": d.decision, "score": d.score,
                "concept": d.concept, "scores": {"allow": d.allow, "block": d.block}}
               for i, (text, d) in enumerate(zip(texts, decisions))]
    return reply({"threshold": threshold, "results": results})
