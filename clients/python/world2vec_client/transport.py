"""The sync transport: a pooled ``requests`` session that sends :class:`Call` s.

What to send, what to retry and how to read answers is decided elsewhere, without I/O
(:mod:`~world2vec_client.calls`, :mod:`~world2vec_client.retry`,
:mod:`~world2vec_client.wire`); this module only maps requests' exceptions onto those
decisions, so it and the httpx transport behave alike.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urljoin

import requests
from urllib3.exceptions import NewConnectionError

from world2vec_client.calls import Call, Download
from world2vec_client.retry import (
    Outcome,
    RetryPolicy,
    answered,
    broken,
    failed,
    not_connected,
    parsed,
    timed_out,
)
from world2vec_client.wire import FORMATS, base_headers, default_user_agent, encode_body

T = TypeVar("T")
CHUNK = 1 << 16


def _never_sent(exc: BaseException) -> bool:
    """True when the connection could not be opened, so no byte reached the server."""
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


class Transport:
    """Sends calls to one service and returns their results or raises mapped errors."""

    def __init__(self, base_url: str, *, api_key: str | None = None,
                 timeout: float | tuple[float, float] = 10, fmt: str = "json",
                 retry: RetryPolicy | None = None, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, user_agent: str | None = None
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
        self._headers = base_headers(fmt, api_key, user_agent or default_user_agent())

    def run(self, call: Call[T]) -> T:
        """Send ``call`` (resending as :mod:`~world2vec_client.retry` allows), return its result."""
        attempt = 0
        while True:
            outcome = self._once(call, attempt)
            if outcome.error is None:
                return outcome.value
            self._sleep(self.retry.pause_before_retry(outcome, attempt, self._rng))
            attempt += 1

    def _once(self, call: Call[Any], attempt: int) -> Outcome:
        url = urljoin(self.base_url, call.path.lstrip("/"))
        headers = dict(self._headers)
        data = None
        if call.body is not None:
            data, headers["Content-Type"] = encode_body(self.fmt, call.body)
        if call.download_to is not None:
            headers["Accept"] = "*/*"
        try:
            resp = self._session.request(call.method, url, params=call.query(), data=data,
                                         headers=headers, timeout=self.timeout,
                                         stream=call.download_to is not None)
            if call.download_to is not None and resp.status_code < 400:
                with Download(call.download_to) as out:
                    for chunk in resp.iter_content(CHUNK):
                        out.write(chunk)
                return parsed(call, call.download_to)
            return answered(call, attempt, resp.status_code, resp.headers, resp.content, resp.url)
        except requests.ConnectTimeout as exc:
            return not_connected(call, url, self.base_url, exc, timed_out=True)
        except requests.Timeout as exc:
            return timed_out(call, url, self.timeout, exc)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            if _never_sent(exc):
                return not_connected(call, url, self.base_url, exc)
            return broken(call, url, exc)
        except requests.RequestException as exc:
            return failed(call, url, exc)

    def close(self) -> None:
        self._session.close()
