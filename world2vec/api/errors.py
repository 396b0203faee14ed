"""The exceptions of the in-process API: the client's names, statuses and details.

Why the client's: code written against ``world2vec_client`` (``except NotFound as err:
print(err.detail)``) should run unchanged against :class:`world2vec.Memory`, so each
error here has the name, the ``status`` and the ``detail`` text the service would
have answered, and the same message (``"404 Not Found: no stored memory has id 'x'"``).
The classes are world2vec's own (world2vec does not depend on the client package);
``except`` clauses that must catch both name both. Each also derives from the Python
exception a caller would guess (``NotFound`` is a ``LookupError``, ``BadRequest`` a
``ValueError``).
"""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE_BASE = "https://world2vec.invalid/problems/"  # as the service's problem+json


class World2vecError(Exception):
    """Base class of every error the in-process API raises."""

    status: int | None = None
    title: str = "Error"
    slug: str = "error"

    def __init__(self, detail: str, *, slug: str | None = None, **extra: Any) -> None:
        self.detail = detail
        self.type = PROBLEM_TYPE_BASE + (slug or self.slug)
        #: The problem document the service would have answered.
        self.problem: dict[str, Any] = {"type": self.type, "title": self.title,
                                        "status": self.status, "detail": detail, **extra}
        super().__init__(f"{self.status} {self.title}: {detail}")


class ClientError(World2vecError):
    """The call was wrong; repeating it will not help."""


class BadRequest(ClientError, ValueError):
    """A bad item, query, ``k`` or filter (the service's 400)."""

    status, title, slug = 400, "Bad Request", "bad-request"


class NotFound(ClientError, LookupError):
    """An unknown memory id or concept (the service's 404)."""

    status, title, slug = 404, "Not Found", "not-found"


class Conflict(ClientError):
    """Adding an id that exists with ``upsert=False`` (the service's 409)."""

    status, title, slug = 409, "Conflict", "conflict"
