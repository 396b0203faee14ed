"""What every blueprint shares: the process state, the reply, the shapes of result rows.

Why one module: the blueprints (routes_concepts, routes_memories, routes_system) each
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
from world2vec.memory import Hit
from world2vec.service.codec import encode, vector_from_wire, wants_msgpack
from world2vec.service.errors import BadRequest, about
from world2vec.service.state import ServiceState


def state() -> ServiceState:
    """The model and memory of this process (built by the app factory), pinned for the
    rest of this request to the pair served when it first asked (see state.py)."""
    pinned = g.get("w2v_state")
    if pinned is None:
        pinned = g.w2v_state = current_app.extensions["world2vec"].pinned()
    return pinned


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
    return {"id": hit.id, "score": hit.score, "kind": item.kind, "text": item.text,
            "payload": item.payload, "tags": item.tags, "answer": item.answer,
            "created_at": item.created_at}


def item_document(item: Any, with_vector: bool = True) -> dict:
    """A stored item as ``GET /memories/<id>`` answers it (with its unit vector)."""
    doc = {"id": item.id, "kind": item.kind, "text": item.text, "tags": list(item.tags),
           "payload": item.payload, "answer": item.answer, "created_at": item.created_at}
    if with_vector and item.vector is not None:
        doc["vector"] = np.asarray(item.vector, dtype=np.float32)
    return doc


def encode_texts(st: ServiceState, texts: list[str], param: str = "text") -> np.ndarray:
    """Sentence vectors; a text with nothing the model knows is a 400 naming the parameter."""
    try:
        return np.asarray(st.model.encode_texts(texts), dtype=np.float32)
    except (ValueError, KeyError) as exc:
        raise BadRequest(f"cannot encode the text: {exc}", param=param,
                         slug="unencodable-text") from None


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
        with about("concept"):
            return concept_vector(st.model.words, value)[0], name
    return encode_texts(st, [value], "text")[0], name
