"""The write key: ``WORLD2VEC_API_KEY`` guards every request that changes the memory.

Why only writes: reading (search, similarity, QA) is what the service is for and is
safe to share on a trusted network; a write can destroy or poison the memory. With
no key configured every request is allowed (the default: 127.0.0.1 only).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from flask import Request

from world2vec.service.errors import ApiError

# (method, endpoint) pairs that write; new admin routes add themselves here.
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
READ_ONLY_POSTS = {"concepts.encode", "memories.search", "memories.qa", "memories.filter",
                   "data.scroll", "data.count", "data.get_many"}


def is_write(request: Request) -> bool:
    """A write is any non-GET request except the reading POSTs of DESIGN.md."""
    return request.method in WRITE_METHODS and request.endpoint not in READ_ONLY_POSTS


def make_guard(api_key: str | None) -> Callable[[Request], None]:
    """A check to run before each request: 401 without a key, 403 with a wrong one."""
    expected = api_key.encode("utf-8") if api_key else None

    def guard(request: Request) -> None:
        if expected is None or not is_write(request) or request.endpoint is None:
            return
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header or scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "this request changes the memory and needs "
                                "'Authorization: Bearer <key>'",
                           headers={"WWW-Authenticate": 'Bearer realm="world2vec"'})
        if not hmac.compare_digest(token.strip().encode("utf-8"), expected):
            raise ApiError(403, "the API key is not valid for this server")

    return guard
