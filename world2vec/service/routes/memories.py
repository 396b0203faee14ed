"""Routes over the stored memories: /memories, /search, /qa, /filter.

Thin adapters: read the parameters, call the memory (or, for /filter, the embeddings
layer's classifier), shape the answer. Errors of the layers below are answered by
errors.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flask import Blueprint, request

from world2vec.embeddings.arithmetic import DEFAULT_THRESHOLD, classify, concept_families
from world2vec.embeddings.objects import ObjectError, UnknownObjectError, check_object
from world2vec.memory import Item, ValidationError
from world2vec.memory.reader import DEFAULT_MODES, SEARCH_MODES, search_mode
from world2vec.service.codec import decode_body, type_name
from world2vec.service.collections.search import (
    SEARCH_OPTIONS,
    batch_search,
    hit_rows,
    search_options,
)
from world2vec.service.errors import BadRequest, NotFound, about
from world2vec.service.helpers import (
    OBJECT_KEY,
    encode_texts,
    item_document,
    query_vector,
    query_vector_from_body,
    reply,
    search_query,
    state,
)
from world2vec.service.params import (
    body_choice,
    body_float,
    body_int,
    body_str,
    body_str_list,
    check_known_fields,
)
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
    items, objects = [], {}
    for position, obj in enumerate(raw_items):
        item, described = _item_from_wire(st, obj, position)
        items.append(item)
        if described is not None:
            objects[position] = described
    _encode_objects(st, items, objects)
    _encode_missing_vectors(st, items)
    ids = st.store.upsert(items) if upsert else st.store.add(items)
    return reply({"ids": ids, "count": len(ids)})


def _item_from_wire(st: ServiceState, obj: Any, position: int) -> tuple[Item, dict | None]:
    """The item, and the object it is described by (None for a text or vector item)."""
    described = None
    if isinstance(obj, dict) and "object" in obj:
        obj = dict(obj)
        described = obj.pop("object")  # null: as if absent, like a null text
    if described is not None:
        _check_item_object(obj, described, position)
        if obj.get("id") is None and described.get("id"):
            obj["id"] = described["id"]  # {"object": {"id": "tom", ...}} is stored as tom
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
    if OBJECT_KEY in item.payload:
        raise BadRequest(f"item {position}: the payload key {OBJECT_KEY!r} is reserved for the "
                         f"item's 'object'", param="items", slug="invalid-item",
                         position=position, id=item.id)
    if item.vector is None and described is None and not (item.text and item.text.strip()):
        raise BadRequest(f"item {position}: give 'text' (to be encoded), 'object' or 'vector'",
                         param="items", slug="invalid-item", position=position, id=item.id)
    return item, described


def _check_item_object(obj: dict, described: Any, position: int) -> None:
    item_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    if obj.get("vector") is not None:
        raise BadRequest(f"item {position}: give 'object' or 'vector', not both (the object "
                         f"is what the vector would be encoded from)", param="items",
                         slug="invalid-item", position=position, id=item_id)
    try:
        check_object(described, position)
    except ObjectError as exc:
        raise BadRequest(f"item {position}: 'object': {exc.problem}", param="items",
                         slug="invalid-object", position=position, id=item_id) from None


def _encode_objects(st: ServiceState, items: list[Item], objects: dict[int, dict]) -> None:
    """Encode the items described by objects, and keep each object with its item."""
    if not objects:
        return
    positions = list(objects)
    try:
        vectors = st.model.encode_objects([objects[p] for p in positions])
    except UnknownObjectError as exc:
        position = positions[exc.position]
        raise BadRequest(f"item {position}: cannot encode its object: it {exc.problem}",
                         param="items", slug="unencodable-object", position=position,
                         id=items[position].id) from None
    for row, position in enumerate(positions):
        items[position].vector = np.asarray(vectors[row], dtype=np.float32)
        items[position].payload[OBJECT_KEY] = objects[position]


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
    ``queries``), inside a filter, in a mode: dense (cosine), lexical (BM25 over the stored
    texts) or hybrid (both, fused); paging and threshold options in collections/search.py."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"text", "vector", "concept", "k", "filter", "mode", *SEARCH_OPTIONS})
    k = body_int(body, "k", 10, 1, st.config.max_k)
    flt = body.get("filter")
    if flt is not None and not isinstance(flt, dict):
        raise BadRequest(f"'filter' must be an object, got {type_name(flt)}", param="filter")
    options = search_options(body)
    if "queries" in body:
        if body.get("mode") not in (None, "dense"):
            raise BadRequest("a batch of 'queries' is searched in dense mode only", param="mode")
        return reply(batch_search(st, body, k, flt, options))
    source, value = search_query(body)
    mode = body_choice(body, "mode", SEARCH_MODES) or DEFAULT_MODES[source]
    if source == "vector" and mode != "dense":
        raise BadRequest(f"a vector query is searched in dense mode only ({mode} ranks the "
                         f"words of a 'text' or 'concept')", param="mode")
    if mode == "dense":
        vec, _ = query_vector_from_body(st, body)
        with about("filter"):
            hits = st.store.search(vec, k, filter=flt, **options)
    else:
        vector = query_vector(st, source, value) if source != "text" else \
            _text_vector_or_none(st, value) if mode == "hybrid" else None
        with about("filter"):
            hits = search_mode(st.store, mode, k + options["offset"], text=value,
                               vector=vector, filter=flt)
        threshold = options["score_threshold"]
        if threshold is not None:
            hits = [h for h in hits if h.score >= threshold]
        hits = hits[options["offset"]:]
    return reply({"mode": mode, "results": hit_rows(hits, options["with_vectors"])})


def _text_vector_or_none(st: ServiceState, text: str) -> np.ndarray | None:
    """A text's vector, or None when the model knows none of its words: hybrid then
    ranks by BM25 alone (a package name the model never saw is what BM25 is for)."""
    try:
        return np.asarray(st.model.encode_texts([text]), dtype=np.float32)[0]
    except (ValueError, KeyError):
        return None


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
    (the rule: ``world2vec.embeddings.arithmetic.classify``, each concept read as its
    family of nearest concepts, as ``classify_texts`` does)."""
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
        allow_families = concept_families(st.model.words, allow)
    with about("block"):
        block_families = concept_families(st.model.words, block)
    decisions = classify(text_vecs, allow, allow_families, block, block_families, threshold)
    results = [{"index": i, "text": text, "decision": d.decision, "score": d.score,
                "concept": d.concept, "scores": {"allow": d.allow, "block": d.block}}
               for i, (text, d) in enumerate(zip(texts, decisions))]
    return reply({"threshold": threshold, "results": results})
