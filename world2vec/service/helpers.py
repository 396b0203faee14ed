"""What every blueprint shares: the process state, the reply, the shapes of result rows.

Why one module: the blueprints (routes/concepts.py, memories.py, relations.py, system.py) each
import from here and never from one another, so a route module can change, move or
go without the others noticing, and a rule such as "a stored item on the wire looks
like this" is written once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from flask import Response, current_app, g, request

from world2vec.embeddings.concepts import concept_vector
from world2vec.embeddings.objects import ObjectError, UnknownObjectError
from world2vec.memory import Hit
from world2vec.service.codec import encode, vector_from_wire, wants_msgpack
from world2vec.service.errors import BadRequest, NotFound, about
from world2vec.service.state import ServiceState

#: The payload key an item's object (POST /memories with ``"object"``) is kept under.
#: Why the payload: it travels with the item through the log, snapshots, dump and load
#: and any backend, without a new column; the wire shows it as the item's ``object``.
OBJECT_KEY = "_object"


def state() -> ServiceState:
    """The model and memory of this process (built by the app factory), pinned for the
    rest of this request to the pair served when it first asked (see state.py) -- as the
    collection of the request's URL sees them, for ``/collections/<name>/...`` routes
    (a ``collections.scope.CollectionScope``; collections/routes.py notes the name in
    ``g``)."""
    pinned = g.get("w2v_state")
    if pinned is None:
        pinned = g.w2v_state = current_app.extensions["world2vec"].pinned()
    name = g.get("w2v_collection")
    return pinned if name is None else pinned.scope(name)


def release_state(_exc: BaseException | None = None) -> None:
    """End of a request: let go of the pinned pair (registered by the app factory)."""
    pinned = g.pop("w2v_state", None)
    if pinned is not None:
        pinned.unpin()


def reply(obj: dict, status: int = 200) -> Response:
    """The answer in JSON, or in msgpack when the request asked for it."""
    return encode(obj, wants_msgpack(request), status)


def concept_results(pairs: Iterable[tuple[str, float]]) -> list[dict]:
    """``(concept, score)`` pairs as result rows (a concept's id and text are itself)."""
    return [{"id": w, "score": float(s), "kind": "concept", "text": w, "payload": {}}
            for w, s in pairs]


def memory_hit(hit: Hit) -> dict:
    """A stored item as a result row (DESIGN.md's shape plus tags, answer, created_at).

    The hit's item is already the store's private copy (tags, payload), so it is
    used as is: this runs for every result of every search.
    """
    item = hit.item
    row = {"id": hit.id, "score": hit.score, "kind": item.kind, "text": item.text,
           "payload": item.payload, "tags": item.tags, "answer": item.answer,
           "created_at": item.created_at}
    if OBJECT_KEY in item.payload:
        _show_object(row)
    return row


def item_document(item: Any, with_vector: bool = True) -> dict:
    """A stored item as ``GET /memories/<id>`` answers it (with its unit vector)."""
    doc = {"id": item.id, "kind": item.kind, "text": item.text, "tags": list(item.tags),
           "payload": item.payload, "answer": item.answer, "created_at": item.created_at}
    if OBJECT_KEY in item.payload:
        _show_object(doc)
    if with_vector and item.vector is not None:
        doc["vector"] = np.asarray(item.vector, dtype=np.float32)
    return doc


def _show_object(row: dict) -> None:
    """Move a stored object out of the payload to the row's own ``object`` field."""
    payload = dict(row["payload"])
    row["object"] = payload.pop(OBJECT_KEY)
    row["payload"] = payload


def encode_texts(st: ServiceState, texts: list[str], param: str = "text",
                 concept_query: bool = False) -> np.ndarray:
    """Sentence vectors (``concept_query``: as questions to the concepts,
    ``Model.encode_concept_queries``); a text with nothing the model knows is a 400
    naming the parameter."""
    encode = st.model.encode_concept_queries if concept_query else st.model.encode_texts
    try:
        return np.asarray(encode(texts), dtype=np.float32)
    except (ValueError, KeyError) as exc:
        raise BadRequest(f"cannot encode the text: {exc}", param=param,
                         slug="unencodable-text") from None


def encode_objects(st: ServiceState, objects: list, param: str = "objects") -> np.ndarray:
    """Object vectors; a malformed object is a 400 and one with nothing the model knows
    a 404 (as an unknown concept is), each naming the object's position and id."""
    try:
        return np.asarray(st.model.encode_objects(objects), dtype=np.float32)
    except UnknownObjectError as exc:
        raise NotFound(str(exc), slug="unknown-object", param=param, position=exc.position,
                       id=exc.object_id) from None
    except ObjectError as exc:
        raise BadRequest(str(exc), param=param, slug="invalid-object", position=exc.position,
                         id=exc.object_id) from None


def search_query(body: dict) -> tuple[str, Any]:
    """The query of POST /search: exactly one of text, vector, concept, as (name, value)."""
    given = [name for name in ("text", "vector", "concept") if body.get(name) is not None]
    if len(given) != 1:
        raise BadRequest("give exactly one of 'text', 'vector' or 'concept'"
                         + (f" (got {', '.join(given)})" if given else ""), param="text",
                         slug="missing-parameter" if not given else "bad-request")
    name = given[0]
    value = body[name]
    if name != "vector" and (not isinstance(value, str) or not value.strip()):
        raise BadRequest(f"'{name}' must be a non-empty string", param=name)
    return name, value


def query_vector(st: ServiceState, name: str, value: Any) -> np.ndarray:
    """The vector of a query from :func:`search_query` (a concept may be synthesized)."""
    if name == "vector":
        return vector_from_wire(value, st.dim, "vector")
    if name == "concept":
        with about("concept"):
            return concept_vector(st.model.words, value)[0]
    return encode_texts(st, [value], "text")[0]


def query_vector_from_body(st: ServiceState, body: dict) -> tuple[np.ndarray, str]:
    """The vector of a request's one query (text, vector or concept) and which it was."""
    name, value = search_query(body)
    return query_vector(st, name, value), name
