"""problem+json (RFC 9457) errors for every failure the service answers.

Why one place: a caller must be able to rely on *every* non-2xx answer being
``application/problem+json`` with ``type``, ``title``, ``status`` and ``detail`` -
including the 404/405/413 that Flask and Werkzeug raise on their own, the typed
errors of the layers below (an unknown concept or relation, a malformed expression,
an invalid item or filter, a relation that cannot be taught), and an unexpected
failure (500, logged here, never a traceback on the wire). Each kind of error is
turned into its answer here, once; a route only says which request parameter a lower
layer's error is about (:func:`about`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from world2vec.embeddings.arithmetic import CompositionError
from world2vec.embeddings.concepts import UnknownConceptError
from world2vec.embeddings.expressions import ExpressionError
from world2vec.embeddings.relations import (
    ModelRelationError,
    RelationError,
    RelationExistsError,
    TooFewPairsError,
    UnknownRelationError,
    UnknownWordsError,
)
from world2vec.memory import (
    CollectionExists,
    CollectionInUse,
    InsufficientStorage,
    ItemExists,
    StoreClosed,
    UnknownCollection,
    ValidationError,
)

log = logging.getLogger("world2vec.service")

PROBLEM_TYPE_BASE = "https://world2vec.invalid/problems/"
PROBLEM_MIMETYPE = "application/problem+json"


class ApiError(Exception):
    """A request the service refuses; becomes a problem+json answer.

    ``slug`` names the problem type (``.../problems/<slug>``) so clients can branch
    on it without parsing ``detail``; ``extra`` adds members such as ``param`` or
    ``suggestions``.
    """

    def __init__(self, status: int, detail: str, slug: str | None = None,
                 title: str | None = None, headers: dict[str, str] | None = None,
                 **extra: Any):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or _DEFAULT_SLUGS.get(status, "error")
        self.title = title or _TITLES.get(status, "Error")
        self.headers = headers or {}
        self.extra = extra


class BadRequest(ApiError):
    """400: a missing, mistyped or out-of-range parameter, or a malformed body."""

    def __init__(self, detail: str, param: str | None = None, **extra: Any):
        if param is not None:
            extra["param"] = param
        super().__init__(400, detail, slug=extra.pop("slug", "bad-request"), **extra)


class NotFound(ApiError):
    def __init__(self, detail: str, slug: str = "not-found", **extra: Any):
        super().__init__(404, detail, slug=slug, **extra)


_TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 406: "Not Acceptable", 409: "Conflict",
    413: "Payload Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
    423: "Locked", 500: "Internal Server Error", 503: "Service Unavailable",
    507: "Insufficient Storage",
}
_DEFAULT_SLUGS = {
    400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 409: "conflict", 413: "payload-too-large",
    415: "unsupported-media-type", 500: "internal-error", 503: "unavailable",
    507: "insufficient-storage",
}


def problem(status: int, detail: str, slug: str | None = None, title: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (slug or _DEFAULT_SLUGS.get(status, "error")),
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    for key, value in extra.items():
        if value is not None and key not in body:
            body[key] = value
    resp = Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    mimetype=PROBLEM_MIMETYPE)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


_NOTED = (UnknownConceptError, ExpressionError, CompositionError, ValidationError,
          UnknownRelationError)


@contextmanager
def about(param: str, slug: str | None = None) -> Iterator[None]:
    """Note that a lower layer's error raised in this block is about request parameter ``param``.

    Why: an error from the embeddings or the memory knows the word or the filter at
    fault, not what the request called it; the route does. The error passes through
    unchanged but for the note, which the handlers below read. ``slug`` replaces the
    default problem type, where a route's answer has always named another.
    """
    try:
        yield
    except _NOTED as exc:
        exc.problem_param = param
        exc.problem_slug = slug
        raise


def _noted(exc: Exception, slug: str, param: str | None = None) -> tuple[str, str | None]:
    """The problem type and parameter for ``exc``: the route's note, else the defaults."""
    return (getattr(exc, "problem_slug", None) or slug,
            getattr(exc, "problem_param", None) or param)


def register_error_handlers(app: Flask) -> None:
    """Route every exception to problem+json."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return problem(exc.status, exc.detail, exc.slug, exc.title, exc.headers, **exc.extra)

    @app.errorhandler(UnknownConceptError)
    def _unknown_concept(exc: UnknownConceptError) -> Response:
        slug, param = _noted(exc, "unknown-concept")
        return problem(404, str(exc), slug, concept=exc.word, suggestions=exc.suggestions,
                       param=param)

    @app.errorhandler(ExpressionError)
    def _bad_expression(exc: ExpressionError) -> Response:
        slug, param = _noted(exc, "bad-expression")
        return problem(400, f"cannot parse the expression: {exc}", slug, position=exc.position,
                       param=param)

    @app.errorhandler(CompositionError)
    def _empty_composition(exc: CompositionError) -> Response:
        slug, param = _noted(exc, "bad-request")
        return problem(400, str(exc), slug, param=param)

    @app.errorhandler(ValidationError)
    def _invalid_input(exc: ValidationError) -> Response:
        # The memory validates two things a request carries: the items of a batch (the
        # error names the item's position) and a filter (everything else).
        if exc.position is not None:
            slug, param = _noted(exc, "invalid-item", "items")
        else:
            slug, param = _noted(exc, "bad-filter", "filter")
        return problem(400, str(exc), slug, position=exc.position, id=exc.item_id, param=param)

    @app.errorhandler(UnknownRelationError)
    def _unknown_relation(exc: UnknownRelationError) -> Response:
        slug, param = _noted(exc, "unknown-relation", "relation")
        return problem(404, str(exc), slug, relation=exc.name, param=param)

    @app.errorhandler(RelationError)
    def _relation_refused(exc: RelationError) -> Response:
        return _relation_problem(exc)

    @app.errorhandler(ItemExists)
    def _item_exists(exc: ItemExists) -> Response:
        return problem(409, str(exc), "item-exists", id=exc.item_id, position=exc.position)

    @app.errorhandler(InsufficientStorage)
    def _disk_full(exc: InsufficientStorage) -> Response:
        log.error("write refused: %s", exc)
        return problem(507, str(exc), "insufficient-storage")

    @app.errorhandler(UnknownCollection)
    def _unknown_collection(exc: UnknownCollection) -> Response:
        return problem(404, str(exc), "unknown-collection", collection=exc.name)

    @app.errorhandler(StoreClosed)
    def _store_closed(exc: StoreClosed) -> Response:
        # In a running service a store closes when its collection is removed.
        return problem(404, "the collection was removed while this request ran",
                       "unknown-collection")

    @app.errorhandler(CollectionExists)
    def _collection_exists(exc: CollectionExists) -> Response:
        return problem(409, str(exc), "collection-exists", collection=exc.name)

    @app.errorhandler(CollectionInUse)
    def _collection_in_use(exc: CollectionInUse) -> Response:
        return problem(409, str(exc), "collection-in-use")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        detail = exc.description or _TITLES.get(status, "Error")
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        if status == 413:
            _drain_request_body(app)
        return problem(status, detail, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error while serving a request")
        return problem(500, "The server failed to answer this request; the error is in its log.")


def _relation_problem(exc: RelationError) -> Response:
    """A relation that cannot be taught or forgotten: what is wrong, and with which field."""
    if isinstance(exc, RelationExistsError):
        return problem(409, str(exc), "relation-exists", param="name")
    if isinstance(exc, ModelRelationError):
        return problem(409, str(exc), "model-relation", param="name")
    if isinstance(exc, UnknownWordsError):
        return problem(400, str(exc), "unknown-words", param="pairs", words=exc.words)
    if isinstance(exc, TooFewPairsError):
        return problem(400, str(exc), "too-few-pairs", param="pairs", usable=exc.usable,
                       needed=exc.needed)
    return problem(400, str(exc), "bad-relation")


def _drain_request_body(app: Flask, chunk: int = 1 << 20) -> None:
    """Read and drop an oversized body (up to a cap) so the client gets the 413.

    Without this the server closes the socket with unread data in it, the kernel
    answers with a reset, and a client still sending its body never sees the
    problem document. The cap keeps this from becoming a way to make us read
    unbounded input.
    """
    from flask import request

    stream = request.environ.get("wsgi.input")
    if stream is None:
        return
    cap = 4 * app.config.get("MAX_CONTENT_LENGTH", 32 << 20)
    try:
        remaining = request.content_length
        if remaining is None:
            return
        remaining = min(remaining, cap)
        while remaining > 0:
            data = stream.read(min(chunk, remaining))
            if not data:
                break
            remaining -= len(data)
    except Exception:  # a client that hung up: nothing to drain
        pass
