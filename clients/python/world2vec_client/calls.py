"""A request described as data: the one thing both clients build and both transports send.

Every client method is written once, as a function of its arguments to a :class:`Call`
(method, path, body, whether it is safe to send twice, how to read the answer). The sync
transport (requests) and the async one (httpx) only move bytes; so the two clients cannot
drift apart in what they send, what they retry, or what they return.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def _as_is(answer: Any) -> Any:
    return answer


@dataclass(frozen=True)
class Call(Generic[T]):
    """One REST request and what to make of its answer.

    ``idempotent``: sending it twice ends the same as once, so the transport may resend it
    after a failure that could have reached the server (see :mod:`world2vec_client.retry`).
    ``done_on_retry``: statuses that mean "already done" when they answer a *resend* (a
    DELETE whose first try was applied but whose answer was lost gets 404 the second time);
    the answer is then ``parse(None)``. ``instead``: statuses answered by a value rather
    than an exception (``missing_ok``). ``download_to``: stream the answer's bytes into
    this file instead of decoding them; ``parse`` then receives the file's path.
    """

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    body: Any = None
    parse: Callable[[Any], T] = _as_is
    idempotent: bool = True
    done_on_retry: frozenset[int] = frozenset()
    instead: Mapping[int, Any] = field(default_factory=dict)
    download_to: Path | None = None

    def query(self) -> dict[str, Any]:
        """The query parameters that have a value (None means "not given")."""
        return {k: v for k, v in (self.params or {}).items() if v is not None}


class Download:
    """Where a download's bytes go: ``<path>.part`` first, renamed to ``path`` only once
    the whole answer arrived, so a broken transfer never leaves a file that looks whole
    (and a retry starts it again from the first byte)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self._fh: Any = None

    def __enter__(self) -> Download:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.part, "wb")
        return self

    def write(self, chunk: bytes) -> None:
        self._fh.write(chunk)

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        self._fh.close()
        if exc_type is None:
            os.replace(self.part, self.path)
        else:
            self.part.unlink(missing_ok=True)
