"""Routes over relations: GET/POST /relations, DELETE /relations/<name>, GET /transform.

Thin adapters over the process's :class:`~world2vec.embeddings.relation_book.RelationBook`
(``state().relations``): the model's own relations and those users teach from example
pairs. The body of POST /relations is checked here, strictly and field by field, so a
mistake is a 400 naming the field; what only fitting can tell (unknown words, too few
usable pairs, a name taken) comes from the book as typed errors, answered by errors.py.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from world2vec.embeddings.concepts import known_vector
from world2vec.embeddings.relation_book import MAX_PAIRS, NAME_PATTERN
from world2vec.embeddings.relations import METHODS
from world2vec.service.codec import decode_body, type_name
from world2vec.service.errors import BadRequest, about
from world2vec.service.helpers import concept_results, reply, state
from world2vec.service.params import body_str, check_known_fields, query_int, query_str

bp = Blueprint("relations", __name__)

#: What POST /relations accepts as ``method`` (``auto`` measures the others, keeps the best).
TEACH_METHODS = ("auto", *METHODS)
MAX_WORD = 200  # characters in one pair word: far beyond any vocabulary entry


@bp.get("/relations")
def list_relations():
    """The model's own relations, then the user's; those stored but not usable on this
    model (after a model change) are listed apart, with the reason."""
    book = state().relations
    unavailable = [{"name": name, "reason": reason}
                   for name, reason in sorted(book.unavailable.items())]
    return reply({"relations": book.list(), "unavailable": unavailable})


@bp.post("/relations")
def teach_relation():
    """Teach a relation from example pairs: 201 with its method and leave-one-out accuracy."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"name", "pairs", "method", "replace"})
    name = _relation_name(body_str(body, "name", required=True, max_len=64))
    pairs = _pairs(body.get("pairs"))
    method = body.get("method", "auto")
    if method is None:
        method = "auto"
    if not isinstance(method, str) or method not in TEACH_METHODS:
        got = f"{method!r:.40}" if isinstance(method, str) else type_name(method)
        raise BadRequest(f"'method' must be one of {', '.join(TEACH_METHODS)}, got {got}",
                         param="method")
    replace = body.get("replace", False)
    if replace is None:
        replace = False
    if not isinstance(replace, bool):
        raise BadRequest(f"'replace' must be true or false, got {type_name(replace)}",
                         param="replace")
    with st.relations_lock:
        fitted = st.relations.teach(name, pairs, method=method, replace=replace)
    return reply(fitted.describe(), status=201)


@bp.delete("/relations/<name>")
def forget_relation(name: str):
    """Remove a user's relation (a model's own: 409; one nobody taught: 404)."""
    st = state()
    with st.relations_lock, about("name"):
        st.relations.forget(name)
    return reply({"name": name, "deleted": True})


@bp.get("/transform")
def transform_route():
    """The concepts nearest to ``relation(concept)``, the concept itself excluded."""
    st = state()
    args = request.args.to_dict()
    k = query_int(args, "k", 10, 1, st.config.max_k)
    relation = query_str(args, "relation", required=True)
    concept = query_str(args, "concept", required=True)
    book = st.relations
    with about("relation"):
        book.get(relation)  # an unknown relation is named before the concept is looked at
    with about("concept"):
        known_vector(book.model.words, concept)  # a guess from subwords maps to nothing real
    with about("relation"):  # forgotten meanwhile: still a 404 naming it
        pairs = book.transform(relation, concept, k)
    return reply({"query": {"relation": relation, "concept": concept},
                  "results": concept_results(pairs)})


def _relation_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise BadRequest("'name' must start with a letter and hold only letters, digits and "
                         f"'_' (at most 64 characters), got {name!r}", param="name")
    return name


def _pairs(value: Any) -> list[tuple[str, str]]:
    """``[[source, target], ...]``: a list of two-word lists, nothing coerced."""
    if value is None:
        raise BadRequest("missing field 'pairs'", param="pairs", slug="missing-parameter")
    if not isinstance(value, list):
        raise BadRequest(f"'pairs' must be a list of [source, target] word pairs, got "
                         f"{type_name(value)}", param="pairs")
    if len(value) > MAX_PAIRS:
        raise BadRequest(f"'pairs' has {len(value)} entries; at most {MAX_PAIRS}",
                         param="pairs", slug="batch-too-large")
    pairs = []
    for position, pair in enumerate(value):
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(w, str) and w.strip() and len(w) <= MAX_WORD for w in pair)):
            raise BadRequest(f"'pairs[{position}]' must be two non-empty words [source, target], "
                             f"got {type_name(pair)}", param="pairs", position=position)
        pairs.append((pair[0], pair[1]))
    return pairs
