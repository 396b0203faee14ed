"""The keys: which requests need one, and which key opens what.

Every request is classified once, before its route runs, as ``open`` (never needs a
key), ``read`` or ``write``:

- ``WORLD2VEC_API_KEY`` (the write key) guards every write: with it set, a write
  without a key is a 401, with another key a 403.
- ``WORLD2VEC_READ_KEY``, when set, guards the reads too: a read needs the read key
  or the write key. The read key on a write route is a 403.
- With no key configured every request is allowed (the default: 127.0.0.1 only).

Why one table instead of a check in each route: a route added later (collections,
snapshots, models, jobs, ...) is classified by the same rule without its author
doing anything - a GET reads, any other method writes - and the few exceptions are
listed here, where a reviewer sees them all. A blueprint whose POST only reads adds
its URL rule to :data:`READING_POSTS` (or its endpoint to :data:`ACCESS_BY_ENDPOINT`);
the rule is compared with a leading ``/collections/<name>`` removed, so a
collection-scoped variant is classified like the unscoped route.
"""

from __future__ import annotations

import enum
import hmac
import re
from collections.abc import Callable

from flask import Request

from world2vec.service.errors import ApiError


class Access(str, enum.Enum):
    OPEN = "open"
    READ = "read"
    WRITE = "write"


# Endpoints whose access does not follow from their method. /health answers probes
# (load balancers, Docker, Kubernetes) that hold no key; the OpenAPI document and the
# page's HTML/JS/CSS describe the service and hold no data (the page's own requests
# are classified like anyone's). /metrics is an ordinary read: it names the model and
# counts the items and the traffic (Prometheus sends a key with `authorization:`).
ACCESS_BY_ENDPOINT: dict[str, Access] = {
    "system.health": Access.OPEN,
    "system.openapi": Access.OPEN,
    "system.index": Access.OPEN,
    "system.static_file": Access.OPEN,
}

# POST routes that only read (their answer is computed, nothing is stored), by URL rule.
READING_POSTS: set[str] = {
    "/search", "/encode", "/qa", "/filter",
    "/memories/scroll", "/memories/count", "/memories/get",
}

READING_METHODS = frozenset({"GET", "HEAD"})
_COLLECTION_PREFIX = re.compile(r"^/collections/<[^<>]+>(?=/)")


def unscoped_rule(rule: str) -> str:
    """``/collections/<name>/memories/scroll`` -> ``/memories/scroll``."""
    return _COLLECTION_PREFIX.sub("", rule, count=1)


def classify(method: str, endpoint: str | None, rule: str | None) -> Access:
    """The access a request needs, from its method, its endpoint and its URL rule."""
    if endpoint in ACCESS_BY_ENDPOINT:
        return ACCESS_BY_ENDPOINT[endpoint]
    if method == "OPTIONS":  # Flask's automatic answer (Allow) or a CORS preflight: no data
        return Access.OPEN
    if method in READING_METHODS:
        return Access.READ
    if method == "POST" and rule is not None and unscoped_rule(rule) in READING_POSTS:
        return Access.READ
    return Access.WRITE  # POST, PUT, PATCH, DELETE and anything unforeseen


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None when absent or another scheme."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def make_guard(api_key: str | None, read_key: str | None = None) -> Callable[[Request], None]:
    """A check to run before each request; raises the 401/403 problem or returns."""
    write = api_key.encode("utf-8") if api_key else None
    read = read_key.encode("utf-8") if read_key else None

    def guard(request: Request) -> None:
        if request.url_rule is None:  # no such route (404) or method (405): nothing to guard
            return
        access = classify(request.method, request.endpoint, request.url_rule.rule)
        if access is Access.OPEN or (access is Access.READ and read is None) \
                or (access is Access.WRITE and write is None):
            return
        token = bearer_token(request)
        if token is None:
            what = "changes the memory" if access is Access.WRITE else "reads from this server"
            raise ApiError(401, f"this request {what} and needs 'Authorization: Bearer <key>'",
                           headers={"WWW-Authenticate": 'Bearer realm="world2vec"'})
        given = token.encode("utf-8")
        if hmac.compare_digest(given, write or b""):
            return
        if read is not None and hmac.compare_digest(given, read):
            if access is Access.READ:
                return
            raise ApiError(403, "the read key cannot change the memory; this request needs "
                                "the write key")
        raise ApiError(403, "the API key is not valid for this server")

    return guard
