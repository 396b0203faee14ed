"""The async transport: an ``httpx.AsyncClient`` that sends :class:`Call` s.

The twin of :mod:`~world2vec_client.transport`: the same calls, the same retry decisions
(:mod:`~world2vec_client.retry`), the same decoding; only the HTTP library differs, and
backoff waits with ``asyncio.sleep`` so other tasks run meanwhile.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urljoin

import httpx

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


def _timeout(value: float | tuple[float, float]) -> httpx.Timeout:
    """requests' ``timeout`` (seconds, or a ``(connect, read)`` pair) as httpx spells it."""
    if isinstance(value, tuple):
        connect, read = value
        return httpx.Timeout(read, connect=connect)
    return httpx.Timeout(value)


class AsyncTransport:
    """Sends calls to one service from an event loop; results or mapped errors."""

    def __init__(self, base_url: str, *, api_key: str | None = None,
                 timeout: float | tuple[float, float] = 10, fmt: str = "json",
                 retry: RetryPolicy | None = None, session: httpx.AsyncClient | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 user_agent: str | None = None) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {base_url!r}")
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
        self.base_url = base_url.rstrip("/") + "/"
        self.api_key = api_key
        self.timeout = timeout
        self.fmt = fmt
        self.retry = retry or RetryPolicy()
        self._http = session or httpx.AsyncClient(follow_redirects=True)
        self._httpx_timeout = _timeout(timeout)
        self._sleep = sleep
        self._rng = random.Random()
        self._headers = base_headers(fmt, api_key, user_agent or default_user_agent())

    async def run(self, call: Call[T]) -> T:
        """Send ``call`` (resending as :mod:`~world2vec_client.retry` allows), return its result."""
        attempt = 0
        while True:
            outcome = await self._once(call, attempt)
            if outcome.error is None:
                return outcome.value
            await self._sleep(self.retry.pause_before_retry(outcome, attempt, self._rng))
            attempt += 1

    async def _once(self, call: Call[Any], attempt: int) -> Outcome:
        url = urljoin(self.base_url, call.path.lstrip("/"))
        headers = dict(self._headers)
        data = None
        if call.body is not None:
            data, headers["Content-Type"] = encode_body(self.fmt, call.body)
        if call.download_to is not None:
            headers["Accept"] = "*/*"
        request = self._http.build_request(call.method, url, params=call.query(), content=data,
                                           headers=headers, timeout=self._httpx_timeout)
        try:
            resp = await self._http.send(request, stream=True)
            try:
                if call.download_to is not None and resp.status_code < 400:
                    with Download(call.download_to) as out:
                        async for chunk in resp.aiter_bytes():
                            out.write(chunk)
                    return parsed(call, call.download_to)
                raw = await resp.aread()
            finally:
                await resp.aclose()
            return answered(call, attempt, resp.status_code, resp.headers, raw, str(resp.url))
        except httpx.ConnectTimeout as exc:
            return not_connected(call, url, self.base_url, exc, timed_out=True)
        except httpx.ConnectError as exc:
            return not_connected(call, url, self.base_url, exc)
        except httpx.TimeoutException as exc:
            return timed_out(call, url, self.timeout, exc)
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            return broken(call, url, exc)
        except httpx.HTTPError as exc:
            return failed(call, url, exc)

    async def close(self) -> None:
        await self._http.aclose()
