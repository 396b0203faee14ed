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

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from world2vec.memory import (
    CollectionExists,
    CollectionInUse,
    ItemExists,
    StoreClosed,
    UnknownCollection,
    ValidationError,
)
from world2vec.memory import InsufficientStorage as DiskFull

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
                                        "status": self.status, "detail": detail,
                                        **{k: v for k, v in extra.items() if v is not None}}
        super().__init__(f"{self.status} {self.title}: {detail}")


class ClientError(World2vecError):
    """The call was wrong; repeating it will not help."""


class BadRequest(ClientError, ValueError):
    """A bad item, query, ``k`` or filter (the service's 400)."""

    status, title, slug = 400, "Bad Request", "bad-request"


class NotFound(ClientError, LookupError):
    """An unknown memory id, concept or collection (the service's 404)."""

    status, title, slug = 404, "Not Found", "not-found"


class Conflict(ClientError):
    """Adding an id that exists with ``upsert=False``, creating a collection that exists,
    removing ``default`` (the service's 409)."""

    status, title, slug = 409, "Conflict", "conflict"


class ServerError(World2vecError):
    """The memory could not do what was asked, through no fault of the call."""

    status, title, slug = 500, "Internal Server Error", "error"


class InsufficientStorage(ServerError):
    """The disk is full: nothing was written, and writing works again once space is freed
    (the service's 507)."""

    status, title, slug = 507, "Insufficient Storage", "insufficient-storage"


@contextmanager
def memory_errors(param: str | None = None, slug: str | None = None) -> Iterator[None]:
    """Raise the memory layer's errors inside the block as the service answers them.

    Why one place: every method calls the memory layer, whose errors know what went
    wrong but not how the service words it; the service's error handlers
    (``service/errors.py``) are the rule followed here, so a caller sees the same
    exception, status, problem type and detail in process as over HTTP. ``param``
    (and ``slug``) name what a ValidationError is about, where the call knows better
    than the default (an item's position means ``items``, anything else ``filter``).
    """
    try:
        yield
    except ValidationError as exc:
        field = getattr(exc, "field", None)
        if exc.position is not None:
            default_param, default_slug = "items", "invalid-item"
        else:
            default_param, default_slug = field or "filter", "bad-filter"
        raise BadRequest(str(exc), slug=slug or default_slug, param=param or default_param,
                         position=exc.position, id=exc.item_id) from None
    except ItemExists as exc:
        raise Conflict(str(exc), slug="item-exists", id=exc.item_id,
                       position=exc.position) from None
    except UnknownCollection as exc:
        raise NotFound(str(exc), slug="unknown-collection", collection=exc.name) from None
    except StoreClosed:
        raise NotFound("the collection was removed while this call ran",
                       slug="unknown-collection") from None
    except CollectionExists as exc:
        raise Conflict(str(exc), slug="collection-exists", collection=exc.name) from None
    except CollectionInUse as exc:
        raise Conflict(str(exc), slug="collection-in-use") from None
    except DiskFull as exc:
        raise InsufficientStorage(str(exc)) from exc
