"""Routes over the model's concepts: /similar, /compose, /analogy, /encode.

Thin adapters: read the parameters, call the embeddings layer (concepts, arithmetic,
projection), shape the answer. Its errors are answered by errors.py.
"""

from __future__ import annotations

import numpy as np
from flask import Blueprint, request

from world2vec.embeddings.arithmetic import ANALOGY_METHODS, analogy, compose
from world2vec.embeddings.concepts import concept_vector, concept_vectors, known_vector
from world2vec.embeddings.expressions import mentioned_concepts, parse_expression
from world2vec.embeddings.projection import pca_2d
from world2vec.service.codec import decode_body
from world2vec.service.errors import BadRequest, NotFound, about
from world2vec.service.helpers import (
    concept_results,
    encode_objects,
    encode_texts,
    memory_hit,
    reply,
    state,
)
from world2vec.service.params import (
    body_list,
    body_str_list,
    check_known_fields,
    query_bool,
    query_int,
    query_json_object,
    query_str,
)
from world2vec.service.state import ServiceState

bp = Blueprint("concepts", __name__)

QUERY_SOURCES = ("concept", "text", "object", "id")  # what /similar ranks neighbours of


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
    """Nearest concepts to a concept, a text or an object; nearest memories to a stored item.

    With ``kind`` (other than ``concept``) or ``filter``, a concept, text or object
    query searches the stored memories instead of the vocabulary.
    """
    st = state()
    # A plain dict of the first values: werkzeug's MultiDict.get builds a
    # BadRequestKeyError for every absent parameter, and this route probes six.
    args = request.args.to_dict()
    k = query_int(args, "k", 10, 1, st.config.max_k)
    given = [name for name in QUERY_SOURCES if args.get(name, "").strip()]
    if len(given) != 1:
        raise BadRequest("give exactly one of 'concept', 'text', 'object' or 'id'"
                         + (f" (got {', '.join(given)})" if given else ""),
                         param="concept", slug="missing-parameter" if not given else "bad-request")
    kind = query_str(args, "kind")
    flt = query_json_object(args, "filter")
    project = query_bool(args, "project", False)
    source = given[0]
    value = (query_json_object(args, source) if source == "object"
             else query_str(args, source, required=True))
    of_memory = kind not in (None, "concept") or flt is not None   # else: of the concepts
    answer: dict = {"query": {source: value}}
    if source == "id":
        # One store call: the stored unit vector is used in place, itself excluded.
        hits = st.store.search_by_id(value, k, filter=_memory_filter(kind, flt),
                                     with_vectors=project)
        if hits is None:
            raise NotFound(f"no stored memory has id {value!r}", slug="unknown-id", id=value)
        answer["results"] = [memory_hit(h) for h in hits]
        points = None
        if project:
            vec = _stored_vector(st, value)
            points = [h.item.vector for h in hits]
    else:
        if source == "concept":
            with about("concept"):
                vec, synthesized = concept_vector(st.model.words, value)
            answer["synthesized"] = synthesized
            answer["query"]["synthesized"] = synthesized
            exclude = [] if synthesized else [value]
        elif source == "object":
            vec = encode_objects(st, [value], "object")[0]
            exclude = []  # an object is near what it relates to: cat is the answer to is_a cat
        else:   # asked of the concepts, a text is a concept query; of the memories, a text
            vec = encode_texts(st, [value], concept_query=not of_memory)[0]
            exclude = []
        if of_memory:
            answer["results"] = _search_memory(st, vec, k, _memory_filter(kind, flt), exclude=[])
            points = ([_stored_vector(st, r["id"]) for r in answer["results"]] if project
                      else None)
        else:
            answer["results"] = concept_results(st.model.words.nearest(vec, k, exclude=exclude))
            points = None
            if project:
                points = list(_concept_rows(st, answer["results"]))
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
    hits = st.store.search(vec, min(k + len(exclude), 100_000), filter=flt)
    skip = set(exclude)
    return [memory_hit(h) for h in hits if h.id not in skip][:k]


def _concept_rows(st: ServiceState, results: list[dict]) -> np.ndarray:
    """The unit vectors of concept results, for the projection."""
    return concept_vectors(st.model.words, [r["id"] for r in results])[0]


@bp.get("/compose", endpoint="compose")
def compose_route():
    """Vector arithmetic: a weighted sum of concept vectors and relation calls
    (``capital(france) - france + italy``); inputs excluded, the concepts inside calls too."""
    st = state()
    args = request.args
    k = query_int(args, "k", 10, 1, st.config.max_k)
    expr = query_str(args, "expr", required=True)
    project = query_bool(args, "project", False)
    with about("expr"):
        terms = parse_expression(expr)
        total = compose(st.model.words, terms, relations=st.relations.apply)
    exclude = mentioned_concepts(terms)
    results = concept_results(st.model.words.nearest(total, k, exclude=exclude))
    answer = {"query": {"expr": expr, "terms": terms}, "results": results}
    if project:
        answer["projection"] = pca_2d(total / np.linalg.norm(total), _concept_rows(st, results))
    return reply(answer)


@bp.get("/analogy", endpoint="analogy")
def analogy_route():
    """a : b :: c : ?  by 3CosAdd or 3CosMul (gensim's semantics: inputs excluded)."""
    st = state()
    args = request.args
    k = query_int(args, "k", 10, 1, st.config.max_k)
    words = {}
    for name in ("a", "b", "c"):
        words[name] = query_str(args, name, required=True)
        with about(name):
            known_vector(st.model.words, words[name])
    method = query_str(args, "method", choices=ANALOGY_METHODS, default="add")
    pairs = analogy(st.model.words, words["a"], words["b"], words["c"], method=method, k=k)
    return reply({"query": {**words, "method": method}, "results": concept_results(pairs)})


@bp.post("/encode", endpoint="encode")
def encode_route():
    """Concepts, texts or objects to vectors (JSON lists, or float32 bins in msgpack)."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"concepts", "texts", "objects"})
    limit = st.config.max_batch
    concepts = body_str_list(body, "concepts", limit)
    texts = body_str_list(body, "texts", limit)
    objects = body_list(body, "objects", limit)
    given = [name for name, value in (("concepts", concepts), ("texts", texts),
                                      ("objects", objects)) if value is not None]
    if len(given) != 1:
        raise BadRequest("give exactly one of 'concepts', 'texts' or 'objects'"
                         + (f" (got {', '.join(given)})" if given else ""), param="concepts",
                         slug="missing-parameter" if not given else "bad-request")
    if objects is not None:
        return reply({"vectors": encode_objects(st, objects), "dim": st.dim})
    if concepts is not None:
        with about("concepts"):
            vectors, synthesized = concept_vectors(st.model.words, concepts)
        return reply({"vectors": vectors, "dim": st.dim, "synthesized": synthesized})
    vectors = encode_texts(st, texts, "texts")
    return reply({"vectors": vectors, "dim": st.dim})
