"""Exceptions raised by the client.

The service answers every error as ``application/problem+json`` (``type``, ``title``,
``status``, ``detail``). Each HTTP status maps to one exception class so callers can
write ``except NotFound`` instead of comparing numbers, and every exception carries
the server's own ``detail`` (for instance the close spellings of an unknown concept)
because that text is what tells a user how to fix the call.

Failures with no HTTP answer at all (refused connection, timeout) are
:class:`TransportError`; they say whether the request may have reached the server,
which matters for writes that are not safe to repeat.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class World2vecError(Exception):
    """Base class of every error this client raises."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, title: str | None = None,
                 detail: str | None = None, type: str | None = None,
                 problem: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        #: The whole problem document as the server sent it (extra fields included).
        self.problem: dict[str, Any] = dict(problem or {})


class ClientError(World2vecError):
    """A 4xx answer: the request was wrong and repeating it will not help."""


class BadRequest(ClientError):
    """400: a missing or mistyped parameter, an out-of-range ``k``, a bad item."""

    status = 400


class Unauthorized(ClientError):
    """401: a write without an API key on a server that requires one."""

    status = 401


class Forbidden(ClientError):
    """403: a write with the wrong API key."""

    status = 403


class NotFound(ClientError):
    """404: an unknown concept, memory id or route."""

    status = 404


class MethodNotAllowed(ClientError):
    """405: the route exists but not with this HTTP method."""

    status = 405


class Conflict(ClientError):
    """409: something by that name exists already (an item added with ``upsert=False``, a
    collection, a relation), a model's own relation cannot be forgotten, or a model that
    failed its evaluation gate is activated without ``force=True``."""

    status = 409


class PayloadTooLarge(ClientError):
    """413: the request body is over the server's limit (32 MiB by default)."""

    status = 413


class UnsupportedMediaType(ClientError):
    """415: a body in a format the server does not read."""

    status = 415


class ServerError(World2vecError):
    """A 5xx answer."""


class BadGateway(ServerError):
    """502, usually from a proxy in front of the service."""

    status = 502


class ServiceUnavailable(ServerError):
    """503: the service is starting, overloaded or shutting down."""

    status = 503


class GatewayTimeout(ServerError):
    """504, usually from a proxy in front of the service."""

    status = 504


class InsufficientStorage(ServerError):
    """507: the server's disk is full. Nothing acknowledged was lost, and writing works
    again once space is freed; not retried, because space rarely returns in seconds."""

    status = 507


class TransportError(World2vecError):
    """No HTTP answer came back.

    ``maybe_applied`` is False only when the request certainly never reached the
    server (the connection could not be opened); otherwise a write may have been
    applied and the caller must decide whether repeating it is safe.
    """

    def __init__(self, message: str, *, maybe_applied: bool) -> None:
        super().__init__(message)
        self.maybe_applied = maybe_applied


class ConnectionFailed(TransportError):
    """The connection could not be opened, or broke before an answer arrived."""


class Timeout(TransportError):
    """The server did not answer within the client's timeout."""


class DecodeError(World2vecError):
    """The server answered something this client cannot read (not JSON/msgpack, or not
    the shape the route promises)."""


class JobFailed(World2vecError):
    """A background job (training, activation) ended in state ``failed``; ``job`` is its
    last state, whose ``detail`` says why."""

    def __init__(self, message: str, *, job: Any) -> None:
        super().__init__(message)
        self.job = job


class JobTimeout(World2vecError, TimeoutError):
    """``wait`` gave up before the job finished; the job itself goes on (``job`` is the
    last state seen), so waiting again later is fine."""

    def __init__(self, message: str, *, job: Any) -> None:
        super().__init__(message)
        self.job = job


_BY_STATUS: dict[int, type[World2vecError]] = {
    cls.status: cls for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed,
                                Conflict, PayloadTooLarge, UnsupportedMediaType, BadGateway,
                                ServiceUnavailable, GatewayTimeout, InsufficientStorage)
}


def error_for_status(status: int, problem: Mapping[str, Any] | None, fallback_text: str = "",
                     ) -> World2vecError:
    """Build the exception for an HTTP error answer.

    ``problem`` is the decoded problem+json document when the server sent one; for
    anything else (a proxy's HTML page) the first line of ``fallback_text`` stands in as
    the detail so the message still says something useful.
    """
    problem = dict(problem or {})
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ClientError if 400 <= status < 500 else ServerError if status >= 500 else World2vecError
    title = problem.get("title") if isinstance(problem.get("title"), str) else None
    detail = problem.get("detail") if isinstance(problem.get("detail"), str) else None
    if detail is None and fallback_text:
        detail = fallback_text.strip().splitlines()[0][:300] if fallback_text.strip() else None
    kind = problem.get("type") if isinstance(problem.get("type"), str) else None
    message = f"{status} {title or cls.__name__}"
    if detail:
        message += f": {detail}"
    return cls(message, status=status, title=title, detail=detail, type=kind, problem=problem)
