"""When to send a request again, decided without any I/O so both transports follow it.

* A request that never reached the server (the connection could not be opened) is
  always safe to send again, whatever it is.
* A request that may have reached the server is sent again only when repeating it
  cannot change the outcome (``Call.idempotent``: reads, deletes by id, upserts by id,
  patches), and only on a 502/503/504 answer or a connection that broke mid-way.
* Never on a 4xx (the request is wrong; repeating it will not help), never on a 507
  (a full disk rarely empties in seconds), never on a read timeout (the server is slow,
  and a second copy of a slow query makes it slower).

Delays grow exponentially (``backoff * 2**attempt``, capped at ``backoff_max``) with
jitter so that many clients do not retry in lock-step; a ``Retry-After`` header on a
503 is honoured up to the same cap.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from world2vec_client.calls import Call
from world2vec_client.errors import (
    ConnectionFailed,
    DecodeError,
    Timeout,
    TransportError,
    World2vecError,
)
from world2vec_client.wire import decode_body, error_from_answer

RETRY_STATUSES = frozenset({502, 503, 504})


@dataclass
class Outcome:
    """What one try of a call came to: a value, or an error and whether to try again."""

    value: Any = None
    error: World2vecError | None = None
    retryable: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry (see the module docstring for *when*)."""

    retries: int = 3
    backoff: float = 0.25
    backoff_max: float = 8.0

    def __post_init__(self) -> None:
        if not isinstance(self.retries, int) or self.retries < 0:
            raise ValueError("retries must be a non-negative integer")
        if self.backoff < 0 or self.backoff_max < 0:
            raise ValueError("backoff and backoff_max must not be negative")

    def delay(self, attempt: int, retry_after: float | None = None,
              rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt + 1`` (attempt counts from 0)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.backoff_max)
        base = min(self.backoff * (2 ** attempt), self.backoff_max)
        return base / 2 + (rng or random).uniform(0, base / 2)

    def pause_before_retry(self, failed: Outcome, attempt: int, rng: random.Random) -> float:
        """The wait before sending again after a failed ``attempt``; raises the failure's
        error instead when it may not be retried or the retries are spent."""
        assert failed.error is not None
        if not failed.retryable or attempt >= self.retries:
            raise failed.error
        return self.delay(attempt, failed.retry_after, rng)


def parsed(call: Call[Any], answer: Any) -> Outcome:
    """The call's result from a decoded answer; a shape the route never gives is a
    DecodeError naming the route, not a KeyError from deep inside a dataclass."""
    try:
        return Outcome(value=call.parse(answer))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return Outcome(error=DecodeError(f"{call.method} {call.path}: unexpected answer "
                                         f"({type(exc).__name__}: {exc})"))


def answered(call: Call[Any], attempt: int, status: int, headers: Mapping[str, str], raw: bytes,
             url: str) -> Outcome:
    """What an HTTP answer means for ``call`` on try number ``attempt`` (0 = the first)."""
    if status < 400:
        try:
            answer = decode_body(headers.get("Content-Type"), raw, url=url, status=status)
        except DecodeError as exc:
            return Outcome(error=exc)
        return parsed(call, answer)
    if attempt > 0 and status in call.done_on_retry:
        return parsed(call, None)
    if status in call.instead:
        return Outcome(value=call.instead[status])
    return Outcome(error=error_from_answer(status, headers.get("Content-Type"), raw, url),
                   retryable=call.idempotent and status in RETRY_STATUSES,
                   retry_after=_seconds(headers.get("Retry-After")))


def not_connected(call: Call[Any], url: str, base_url: str, cause: BaseException, *,
                  timed_out: bool = False) -> Outcome:
    """The connection could not be opened: nothing was sent, so any call may be resent."""
    message = (f"could not connect to {base_url} within the timeout" if timed_out
               else f"{call.method} {url} failed: cannot connect to {base_url} "
                    f"(is the service running?)")
    return _failure(ConnectionFailed(message, maybe_applied=False), cause, retryable=True)


def broken(call: Call[Any], url: str, cause: BaseException) -> Outcome:
    """The connection broke after the request went out: it may have been applied."""
    error = ConnectionFailed(f"{call.method} {url} failed: the connection broke before an "
                             f"answer arrived", maybe_applied=call.method != "GET")
    return _failure(error, cause, retryable=call.idempotent)


def timed_out(call: Call[Any], url: str, timeout: Any, cause: BaseException) -> Outcome:
    """No answer within the timeout: never resent (see the module docstring)."""
    error = Timeout(f"{call.method} {url} got no answer within {timeout} s",
                    maybe_applied=call.method != "GET")
    return _failure(error, cause, retryable=False)


def failed(call: Call[Any], url: str, cause: BaseException) -> Outcome:
    """Any other failure of the HTTP library: reported, not resent."""
    return _failure(TransportError(f"{call.method} {url} failed: {cause}", maybe_applied=True),
                    cause, retryable=False)


def _failure(error: World2vecError, cause: BaseException, *, retryable: bool) -> Outcome:
    error.__cause__ = cause
    return Outcome(error=error, retryable=retryable)


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
