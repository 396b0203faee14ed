"""Routes over the model's concepts: /similar, /compose, /analogy, /encode."""

from __future__ import annotations

import numpy as np
from flask import Blueprint, current_app, request

from world2vec.memory import ValidationError
from world2vec.service.codec import decode_body, encode, vector_from_wire, wants_msgpack
from world2vec.service.errors import BadRequest, NotFound
from world2vec.service.expr import ExprError, parse_expression
from world2vec.service.params import (
    body_str_list,
    check_known_fields,
    query_bool,
    query_int,
    query_json_object,
    query_str,
)
from world2vec.service.state import ServiceState, memory_hit, pca_2d

bp = Blueprint("concepts", __name__)


def state() -> ServiceState:
    return current_app.extensions["world2vec"]


def reply(obj: dict, status: int = 200):
    return encode(obj, wants_msgpack(request), status)


def _memory_filter(kind: str | None, flt: dict | None) -> dict | None:
    if kind is None:
        return flt
    flt = dict(flt or {})
    if "kind" in flt and flt["kind"] != kind:
        raise BadRequest("'kind' and the filter's kind disagree", param="kind")
    flt["kind"] = kind
    return flt


@bp.get("/similar")
def similar():
    """Nearest concepts to a concept or a text; nearest memories to a stored item.

    With ``kind`` (other than ``concept``) or ``filter``, a concept or text query
    searches the stored memories instead of the vocabulary.
    """
    st = state()
    # A plain dict of the first values: werkzeug's MultiDict.get builds a
    # BadRequestKeyError for every absent parameter, and this route probes six.
    args = request.args.to_dict()
    k = query_int(args, "k", 10, 1, st.config.max_k)
    given = [name for name in ("concept", "text", "id") if args.get(name, "").strip()]
    if len(given) != 1:
        raise BadRequest("give exactly one of 'concept', 'text' or 'id'"
                         + (f" (got {', '.join(given)})" if given else ""),
                         param="concept", slug="missing-parameter" if not given else "bad-request")
    kind = query_str(args, "kind")
    flt = query_json_object(args, "filter")
    project = query_bool(args, "project", False)
    source = given[0]
    value = query_str(args, source, required=True)
    answer: dict = {"query": {source: value}}
    if source == "id":
        # One store call: the stored unit vector is used in place, itself excluded.
        try:
            hits = st.store.search_by_id(value, k, filter=_memory_filter(kind, flt),
                                         with_vectors=project)
        except ValidationError as exc:
            raise BadRequest(str(exc), param="filter", slug="bad-filter") from None
        if hits is None:
            raise NotFound(f"no stored memory has id {value!r}", slug="unknown-id", id=value)
        answer["results"] = [memory_hit(h) for h in hits]
        points = None
        if project:
            vec = _stored_vector(st, value)
            points = [h.item.vector for h in hits]
    else:
        if source == "concept":
            vec, synthesized = st.concept_vector(value)
            answer["synthesized"] = synthesized
            answer["query"]["synthesized"] = synthesized
            exclude = [] if synthesized else [value]
        else:
            vec = st.encode_texts([value])[0]
            exclude = []
        if kind not in (None, "concept") or flt is not None:
            answer["results"] = _search_memory(st, vec, k, _memory_filter(kind, flt), exclude=[])
            points = ([_stored_vector(st, r["id"]) for r in answer["results"]] if project
                      else None)
        else:
            answer["results"] = st.concept_hits(vec, k, exclude)
            points = None
            if project:
                points = list(st.concept_vectors([r["id"] for r in answer["results"]]))
    if project:
        matrix = np.stack(points) if points else np.zeros((0, st.dim), np.float32)
        answer["projection"] = pca_2d(vec, matrix)
    return reply(answer)


def _stored_vector(st: ServiceState, item_id: str) -> np.ndarray:
    item = st.store.get(item_id)
    return np.zeros(st.dim, np.float32) if item is None else np.asarray(item.vector, np.float32)


def _search_memory(st: ServiceState, vec: np.ndarray, k: int, flt: dict | None,
                   exclude: list[str]) -> list[dict]:
    # Fetch one more and drop the query's own item: exact, and cheaper than an exclusion
    # mask over every row (which turns a plain FAISS scan into a selector scan).
    try:
        hits = st.store.search(vec, min(k + len(exclude), 100_000), filter=flt)
    except ValidationError as exc:
        raise BadRequest(str(exc), param="filter", slug="bad-filter") from None
    skip = set(exclude)
    return [memory_hit(h) for h in hits if h.id not in skip][:k]


@bp.get("/compose")
def compose():
    """Vector arithmetic: a weighted sum of concept vectors; inputs excluded."""
    st = state()
    args = request.args
    k = query_int(args, "k", 10, 1, st.config.max_k)
    expr = query_str(args, "expr", required=True)
    project = query_bool(args, "project", False)
    try:
        terms = parse_expression(expr)
    except ExprError as exc:
        raise BadRequest(f"cannot parse the expression: {exc}", param="expr",
                         slug="bad-expression", position=exc.position) from None
    total = np.zeros(st.dim, dtype=np.float32)
    for term, weight in terms.items():
        total += np.float32(weight) * st.known_concept(term, param="expr")
    if not np.any(total) or not np.all(np.isfinite(total)):
        raise BadRequest("the expression's vectors cancel out to nothing", param="expr")
    results = st.concept_hits(total, k, exclude=list(terms))
    answer = {"query": {"expr": expr, "terms": terms}, "results": results}
    if project:
        answer["projection"] = pca_2d(total / np.linalg.norm(total),
                                      st.concept_vectors([r["id"] for r in results]))
    return reply(answer)


@bp.get("/analogy")
def analogy():
    """a : b :: c : ?  by 3CosAdd or 3CosMul (gensim's semantics: inputs excluded)."""
    st = state()
    args = request.args
    k = query_int(args, "k", 10, 1, st.config.max_k)
    words = {}
    for name in ("a", "b", "c"):
        words[name] = query_str(args, name, required=True)
        st.known_concept(words[name], param=name)
    method = query_str(args, "method", choices=("add", "mul"), default="add")
    pairs = st.model.words.analogy(words["a"], words["b"], words["c"], method=method, k=k)
    results = [{"id": w, "score": float(s), "kind": "concept", "text": w, "payload": {}}
               for w, s in pairs]
    return reply({"query": {**words, "method": method}, "results": results})


@bp.post("/encode", endpoint="encode")
def encode_route():
    """Concepts or texts to vectors (JSON lists, or float32 bins in msgpack)."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"concepts", "texts"})
    limit = st.config.max_batch
    concepts = body_str_list(body, "concepts", limit)
    texts = body_str_list(body, "texts", limit)
    if (concepts is None) == (texts is None):
        raise BadRequest("give exactly one of 'concepts' or 'texts'", param="concepts",
                         slug="missing-parameter" if concepts is None else "bad-request")
    if concepts is not None:
        vectors, synthesized = st.encode_concepts(concepts, "concepts")
        return reply({"vectors": vectors, "dim": st.dim, "synthesized": synthesized})
    vectors = st.encode_texts(texts, "texts")
    return reply({"vectors": vectors, "dim": st.dim})


def query_vector_from_body(st: ServiceState, body: dict) -> tuple[np.ndarray, str]:
    """The query of POST /search: exactly one of text, vector, concept."""
    given = [name for name in ("text", "vector", "concept") if body.get(name) is not None]
    if len(given) != 1:
        raise BadRequest("give exactly one of 'text', 'vector' or 'concept'"
                         + (f" (got {', '.join(given)})" if given else ""), param="text",
                         slug="missing-parameter" if not given else "bad-request")
    name = given[0]
    value = body[name]
    if name == "vector":
        return vector_from_wire(value, st.dim, "vector"), name
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{name}' must be a non-empty string", param=name)
    if name == "concept":
        return st.concept_vector(value)[0], name
    return st.encode_texts([value], "text")[0], name
