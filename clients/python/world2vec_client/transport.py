"""HTTP transport: one pooled session, the wire format, and the retry rule.

Retry rule (the one place it lives, so every method follows it):

* A request that never reached the server (the connection could not be opened) is
  always safe to send again, whatever it is.
* A request that may have reached the server is sent again only when repeating it
  cannot change the outcome (``idempotent=True``: reads, deletes, upserts by id), and
  only on a 502/503/504 answer or a connection that broke mid-way.
* Never on a 4xx (the request is wrong; repeating it will not help), never on a read
  timeout (the server is slow, and a second copy of a slow query makes it slower).

Delays grow exponentially (``backoff * 2**attempt``, capped at ``backoff_max``) with
jitter so that many clients do not retry in lock-step; a ``Retry-After`` header on a
503 is honoured up to the same cap.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import msgpack
import numpy as np
import requests
from urllib3.exceptions import NewConnectionError

from world2vec_client.errors import (
    ConnectionFailed,
    DecodeError,
    Timeout,
    TransportError,
    World2vecError,
    error_for_status,
)

JSON = "application/json"
MSGPACK = "application/msgpack"
FORMATS = ("json", "msgpack")
RETRY_STATUSES = frozenset({502, 503, 504})


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


def _never_sent(exc: BaseException) -> bool:
    """True when the connection could not be opened, so no byte reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 8:
        if isinstance(cur, NewConnectionError):
            return True
        nxt = getattr(cur, "reason", None)
        if not isinstance(nxt, BaseException):
            nxt = cur.args[0] if cur.args and isinstance(cur.args[0], BaseException) else None
        cur, seen = nxt, seen + 1
    return False


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot send a {type(obj).__name__} as JSON")


def _msgpack_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f":
            return np.ascontiguousarray(obj, dtype="<f4").tobytes()
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot send a {type(obj).__name__} as msgpack")


class Transport:
    """Sends requests to one service and returns decoded answers or raises mapped errors."""

    def __init__(self, base_url: str, *, api_key: str | None = None,
                 timeout: float | tuple[float, float] = 10, fmt: str = "json",
                 retry: RetryPolicy | None = None, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, user_agent: str = "world2vec-client"
                 ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {base_url!r}")
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
        self.base_url = base_url.rstrip("/") + "/"
        self.api_key = api_key
        self.timeout = timeout
        self.fmt = fmt
        self.retry = retry or RetryPolicy()
        self._session = session or requests.Session()
        self._sleep = sleep
        self._rng = random.Random()
        self._headers = {"User-Agent": user_agent,
                         "Accept": f"{MSGPACK}, {JSON};q=0.5" if fmt == "msgpack" else JSON}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"

    # -- encoding -------------------------------------------------------------------
    def encode_body(self, body: Any) -> tuple[bytes, str]:
        """The request body in this transport's format, and its content type."""
        if self.fmt == "msgpack":
            return msgpack.packb(body, default=_msgpack_default, use_bin_type=True), MSGPACK
        try:
            text = json.dumps(body, default=_json_default, allow_nan=False)
        except ValueError as exc:
            raise ValueError("request holds NaN or infinity, which JSON cannot carry; "
                             "check the vectors you send") from exc
        return text.encode("utf-8"), JSON

    @staticmethod
    def decode(resp: requests.Response) -> Any:
        """Decode an answer by its Content-Type (JSON, problem+json or msgpack)."""
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        raw = resp.content
        if not raw:
            return None
        try:
            if ctype == MSGPACK or ctype.endswith("+msgpack"):
                return msgpack.unpackb(raw, raw=False, strict_map_key=False)
            if ctype == JSON or ctype.endswith("+json"):
                return json.loads(raw)
            if ctype.startswith("text/"):
                return resp.text
        except (ValueError, msgpack.UnpackException) as exc:
            raise DecodeError(f"could not decode the {ctype} answer from {resp.url}: {exc}",
                              status=resp.status_code) from exc
        raise DecodeError(f"unexpected content type {ctype or '(none)'} from {resp.url}",
                          status=resp.status_code)

    # -- sending --------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                body: Any = None, idempotent: bool = True,
                done_on_retry: frozenset[int] = frozenset()) -> Any:
        """Send one request (with retries as the module docstring says) and decode the answer.

        ``done_on_retry`` lists statuses that mean "already done" when they answer a
        *retry*: a DELETE whose first try was applied but whose answer was lost gets 404
        the second time, and that is success, not an error.
        """
        url = urljoin(self.base_url, path.lstrip("/"))
        headers = dict(self._headers)
        data = None
        if body is not None:
            data, headers["Content-Type"] = self.encode_body(body)
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            retry_after = None
            try:
                resp = self._session.request(method, url, params=clean_params, data=data,
                                             headers=headers, timeout=self.timeout)
            except requests.ConnectTimeout as exc:
                error: World2vecError = ConnectionFailed(
                    f"could not connect to {self.base_url} within the timeout", maybe_applied=False)
                error.__cause__ = exc
                retryable = True
            except requests.Timeout as exc:
                raise Timeout(f"{method} {url} got no answer within {self.timeout} s",
                              maybe_applied=method != "GET") from exc
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                sent = not _never_sent(exc)
                error = ConnectionFailed(
                    f"{method} {url} failed: " + (
                        "the connection broke before an answer arrived" if sent
                        else f"cannot connect to {self.base_url} (is the service running?)"),
                    maybe_applied=sent and method != "GET")
                error.__cause__ = exc
                retryable = idempotent or not sent
            except requests.RequestException as exc:
                raise TransportError(f"{method} {url} failed: {exc}", maybe_applied=True) from exc
            else:
                if resp.status_code < 400:
                    return self.decode(resp)
                if attempt > 0 and resp.status_code in done_on_retry:
                    return None
                error = self._error_from(resp)
                retryable = idempotent and resp.status_code in RETRY_STATUSES
                retry_after = _retry_after(resp)
            if not retryable or attempt >= self.retry.retries:
                raise error
            self._sleep(self.retry.delay(attempt, retry_after, self._rng))
            attempt += 1

    def _error_from(self, resp: requests.Response) -> World2vecError:
        try:
            problem = self.decode(resp)
        except DecodeError:
            problem = None
        if not isinstance(problem, Mapping):
            return error_for_status(resp.status_code, None, resp.text if resp.content else "")
        return error_for_status(resp.status_code, problem)

    def close(self) -> None:
        self._session.close()


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
