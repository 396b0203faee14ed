"""Data operations on a collection's items: scroll, count, get many, delete many, patch.

Unscoped they act on ``default``; collections/routes.py gives each its twin under
``/collections/<name>/`` (``state()`` then is that collection). Thin adapters like
routes/memories.py: read the body strictly, call the store, shape the answer.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from world2vec.service.codec import decode_body, type_name
from world2vec.service.errors import BadRequest, NotFound, about
from world2vec.service.helpers import item_document, reply, state
from world2vec.service.params import body_int, body_str_list, check_known_fields

bp = Blueprint("data", __name__)

MAX_PAGE = 10_000


def _filter(body: dict) -> dict | None:
    flt = body.get("filter")
    if flt is not None and not isinstance(flt, dict):
        raise BadRequest(f"'filter' must be an object, got {type_name(flt)}", param="filter")
    return flt


def _flag(body: dict, name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRequest(f"'{name}' must be true or false, got {type_name(value)}", param=name)
    return value


@bp.post("/memories/scroll")
def scroll():
    """One page of items in id order; ``next_cursor`` (null on the last page) asks for the
    next. Every item stored for the whole scroll comes exactly once."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"limit", "cursor", "filter", "with_vectors"})
    limit = body_int(body, "limit", 100, 1, MAX_PAGE)
    cursor = body.get("cursor")
    if cursor is not None and (not isinstance(cursor, str) or not cursor):
        raise BadRequest("'cursor' must be the next_cursor of the page before (or absent for "
                         "the first page)", param="cursor")
    with_vectors = _flag(body, "with_vectors", False)
    items, next_cursor = st.store.scroll(limit, cursor, _filter(body), with_vectors)
    return reply({"items": [item_document(it, with_vectors) for it in items],
                  "next_cursor": next_cursor})


@bp.post("/memories/count")
def count():
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"filter"})
    return reply({"count": st.store.count(_filter(body))})


@bp.post("/memories/get")
def get_many():
    """Several items by id: ``items`` found (in the order asked, with their vectors unless
    ``with_vectors`` is false) and ``missing`` ids."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"ids", "with_vectors"})
    ids = body_str_list(body, "ids", st.config.max_batch, required=True, allow_empty=True)
    with_vectors = _flag(body, "with_vectors", True)
    items, missing = st.store.get_many(ids, with_vectors)
    return reply({"items": [item_document(it, with_vectors) for it in items],
                  "missing": missing})


@bp.post("/memories/delete")
def delete_many():
    """Remove items by ``ids`` (absent ones skipped) or every item matching ``filter``
    (``{}`` matches every item); answers how many were removed."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"ids", "filter"})
    if ("ids" in body) == ("filter" in body):
        raise BadRequest("give either 'ids' or 'filter'", param="ids", slug="missing-parameter")
    if "ids" in body:
        ids = body_str_list(body, "ids", st.config.max_batch, required=True, allow_empty=True)
        return reply({"deleted": st.store.delete_many(ids)})
    flt = _filter(body)
    if flt is None:
        raise BadRequest("'filter' must be an object ({} matches every item)", param="filter")
    return reply({"deleted": st.store.delete_by_filter(flt)})


PATCH_FIELDS = {"payload", "tags", "kind", "answer"}


@bp.patch("/memories/<path:item_id>")
def patch(item_id: str):
    """Change an item's metadata, keeping its vector: ``payload`` is merged into the
    stored one, ``tags``, ``kind`` and ``answer`` replace theirs. Answers the item."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, PATCH_FIELDS)
    changes: dict[str, Any] = {k: body[k] for k in PATCH_FIELDS if body.get(k) is not None}
    if not changes:
        raise BadRequest("give at least one of payload, tags, kind or answer",
                         param="payload", slug="missing-parameter")
    if "payload" in changes and not isinstance(changes["payload"], dict):
        raise BadRequest(f"'payload' must be an object, got {type_name(changes['payload'])}",
                         param="payload")
    if "tags" in changes:
        body_str_list(changes, "tags", 10_000, allow_empty=True)
    for name in ("kind", "answer"):
        if name in changes and not isinstance(changes[name], str):
            raise BadRequest(f"'{name}' must be a string, got {type_name(changes[name])}",
                             param=name)
    with about(next(iter(changes)), slug="invalid-item"):
        item = st.store.patch(item_id, changes.get("payload"), tags=changes.get("tags"),
                              kind=changes.get("kind"), answer=changes.get("answer"))
    if item is None:
        raise NotFound(f"no stored memory has id {item_id!r}", slug="unknown-id", id=item_id)
    return reply(item_document(item))
