"""The async client: ``AsyncClient`` and its ``AsyncCollection`` s, over httpx.

The same methods as :class:`~world2vec_client.client.Client`, from the same shared
definitions, each returning an awaitable; only ``collection(name)``, which sends no
request, is a plain call. Switching is one line::

    async with AsyncClient("http://127.0.0.1:8000") as c:
        hits = await c.search("a cat", k=5)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import httpx

from world2vec_client.admin_ops import AdminOps
from world2vec_client.async_transport import AsyncTransport
from world2vec_client.batch import BatchReport, add_in_batches_async, plan_batches
from world2vec_client.calls import Call
from world2vec_client.memory_ops import ItemLike, MemoryOps, check_page_size, collection_prefix
from world2vec_client.models import Item
from world2vec_client.resources import CollectionInfo, Job, job_settled
from world2vec_client.retry import RetryPolicy
from world2vec_client.service_ops import ServiceOps
from world2vec_client.wire import item_to_wire

T = TypeVar("T")


async def _ready(value: T) -> T:
    return value


class _AwaitedMemory(MemoryOps):
    """The memory methods that loop over several requests, awaiting each."""

    def add_many(self, items: Iterable[ItemLike], *, batch_size: int = 500, upsert: bool = True,
                 progress: bool | Callable[[int, int | None], None] = False,
                 stop_on_error: bool = False, assign_ids: bool = True
                 ) -> Awaitable[BatchReport]:
        """Add many items in batches and report what failed, as ``Client.add_many``."""
        plan = plan_batches(items, batch_size=batch_size, progress=progress,
                            stop_on_error=stop_on_error, to_wire=item_to_wire,
                            assign_ids=assign_ids)
        return add_in_batches_async(self.add, plan, upsert=upsert)

    async def iter_items(self, filter: Mapping[str, Any] | None = None, *, page_size: int = 100,
                         with_vectors: bool = False) -> AsyncIterator[Item]:
        """Every stored item (matching ``filter``), page after page of ``scroll``:
        ``async for item in c.iter_items(): ...``."""
        check_page_size(page_size)
        cursor = None
        while True:
            page = await self.scroll(page_size, cursor, filter=filter,  # type: ignore[misc]
                                     with_vectors=with_vectors)
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


class AsyncCollection(_AwaitedMemory):
    """A named collection of an :class:`AsyncClient`; its methods return awaitables."""

    def __init__(self, client: AsyncClient, name: str) -> None:
        self._prefix = collection_prefix(name)
        self.client = client
        self.name = name

    def _run(self, call: Call[T]) -> T:
        return self.client._run(call)

    def _now(self, value: T) -> T:
        return _ready(value)  # type: ignore[return-value]

    def info(self) -> Awaitable[CollectionInfo]:
        """This collection's stats (``await client.collection_info(name)``)."""
        return self.client.collection_info(self.name)  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"AsyncCollection({self.name!r}, url={self.client.url!r})"


class AsyncClient(ServiceOps, AdminOps[AsyncCollection], _AwaitedMemory):
    """A connection to one world2vec service for asyncio code (httpx underneath).

    Takes the arguments of :class:`~world2vec_client.client.Client` (``session`` is an
    ``httpx.AsyncClient`` here, ``sleep`` an async function) and keeps its defaults,
    errors and retry rule; every method is awaited. Use ``async with``, or ``await
    close()``, to release its connections.
    """

    def __init__(self, url: str = "http://127.0.0.1:8000", api_key: str | None = None,
                 timeout: float | tuple[float, float] = 10, *, format: str = "json",
                 retries: int = 3, backoff: float = 0.25, backoff_max: float = 8.0,
                 session: httpx.AsyncClient | None = None,
                 sleep: Callable[[float], Awaitable[Any]] | None = None) -> None:
        self._sleep = sleep or asyncio.sleep
        self._t = AsyncTransport(url, api_key=api_key, timeout=timeout, fmt=format,
                                 retry=RetryPolicy(retries, backoff, backoff_max),
                                 session=session, sleep=self._sleep)

    @property
    def url(self) -> str:
        return self._t.base_url.rstrip("/")

    @property
    def format(self) -> str:
        return self._t.fmt

    def _run(self, call: Call[T]) -> T:
        return self._t.run(call)  # type: ignore[return-value]

    def _now(self, value: T) -> T:
        return _ready(value)  # type: ignore[return-value]

    def collection(self, name: str) -> AsyncCollection:
        """The collection ``name``, without a request (not awaited)."""
        return AsyncCollection(self, name)

    async def wait(self, job_id: str | Job, timeout: float = 600.0, poll: float = 1.0) -> Job:
        """Poll a job until it is done, as ``Client.wait``, sleeping without blocking."""
        job_id = job_id.id if isinstance(job_id, Job) else job_id
        deadline = time.monotonic() + timeout
        while True:
            state = await self.job(job_id)  # type: ignore[misc]
            left = deadline - time.monotonic()
            if job_settled(state, left <= 0):
                return state
            await self._sleep(min(poll, left))

    # -- lifecycle ------------------------------------------------------------------
    async def close(self) -> None:
        """Close the connections; the client must not be used afterwards."""
        await self._t.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient({self.url!r}, format={self.format!r})"
