"""The sync client: ``Client`` and its ``Collection`` s, over requests.

Every method comes from the shared definitions (:mod:`~world2vec_client.memory_ops`,
:mod:`~world2vec_client.service_ops`, :mod:`~world2vec_client.admin_ops`); this module
adds only what differs by I/O: running a call, and the loops that make several calls
(``add_many``, ``iter_items``, ``wait``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from world2vec_client.admin_ops import AdminOps
from world2vec_client.batch import BatchReport, add_in_batches, plan_batches
from world2vec_client.calls import Call
from world2vec_client.memory_ops import ItemLike, MemoryOps, check_page_size, collection_prefix
from world2vec_client.models import Item
from world2vec_client.resources import CollectionInfo, Job, job_settled
from world2vec_client.retry import RetryPolicy
from world2vec_client.service_ops import ServiceOps
from world2vec_client.transport import Transport
from world2vec_client.wire import item_to_wire

T = TypeVar("T")


class _BlockingMemory(MemoryOps):
    """The memory methods that loop over several requests, blocking."""

    def add_many(self, items: Iterable[ItemLike], *, batch_size: int = 500, upsert: bool = True,
                 progress: bool | Callable[[int, int | None], None] = False,
                 stop_on_error: bool = False, assign_ids: bool = True) -> BatchReport:
        """Add many items in batches and report, item by item, what failed.

        A batch the server refuses as a whole for a caller's mistake (400, 409, 413) is
        split in halves until the bad items are isolated, so one bad item does not cost
        the 499 good ones beside it. Items without an id get a random one here
        (``assign_ids``, the same uuid4 hex form the server would give), which makes every
        batch an upsert by id that is safe to retry after a 503 or a broken connection.
        ``progress=True`` draws a bar on stderr; a callable gets ``(items_done,
        total_or_None)`` after each batch.
        """
        plan = plan_batches(items, batch_size=batch_size, progress=progress,
                            stop_on_error=stop_on_error, to_wire=item_to_wire,
                            assign_ids=assign_ids)
        return add_in_batches(self.add, plan, upsert=upsert)

    def iter_items(self, filter: Mapping[str, Any] | None = None, *, page_size: int = 100,
                   with_vectors: bool = False) -> Iterator[Item]:
        """Every stored item (matching ``filter``), page after page of :meth:`scroll`."""
        check_page_size(page_size)
        cursor = None
        while True:
            page = self.scroll(page_size, cursor, filter=filter, with_vectors=with_vectors)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


class Collection(_BlockingMemory):
    """A named collection: the memory methods, acting on ``/collections/<name>/...``.

    Get one from ``client.collection(name)`` (no request) or
    ``client.create_collection(...)``.
    """

    def __init__(self, client: Client, name: str) -> None:
        self._prefix = collection_prefix(name)
        self.client = client
        self.name = name

    def _run(self, call: Call[T]) -> T:
        return self.client._run(call)

    def _now(self, value: T) -> T:
        return value

    def info(self) -> CollectionInfo:
        """This collection's stats (``client.collection_info(name)``)."""
        return self.client.collection_info(self.name)

    def __repr__(self) -> str:
        return f"Collection({self.name!r}, url={self.client.url!r})"


class Client(ServiceOps, AdminOps[Collection], _BlockingMemory):
    """A connection to one world2vec service.

    ``Client("http://127.0.0.1:8000", api_key=None, timeout=10)``. ``timeout`` is in
    seconds (or a ``(connect, read)`` pair) and applies to every request; ``retries``
    and ``backoff`` tune the retry rule; ``format="msgpack"`` sends and receives
    msgpack, with vectors as raw little-endian float32 (smaller and faster than JSON
    for /encode and bulk adds). Use it as a context manager, or call :meth:`close`,
    to release its pooled connections. The memory methods (``add``, ``search``, ...)
    act on the ``default`` collection; ``collection(name)`` scopes them to another.
    """

    def __init__(self, url: str = "http://127.0.0.1:8000", api_key: str | None = None,
                 timeout: float | tuple[float, float] = 10, *, format: str = "json",
                 retries: int = 3, backoff: float = 0.25, backoff_max: float = 8.0,
                 session: Any = None, sleep: Callable[[float], None] | None = None) -> None:
        self._sleep = sleep or time.sleep
        self._t = Transport(url, api_key=api_key, timeout=timeout, fmt=format,
                            retry=RetryPolicy(retries, backoff, backoff_max), session=session,
                            sleep=self._sleep)

    @property
    def url(self) -> str:
        return self._t.base_url.rstrip("/")

    @property
    def format(self) -> str:
        return self._t.fmt

    def _run(self, call: Call[T]) -> T:
        return self._t.run(call)

    def _now(self, value: T) -> T:
        return value

    def collection(self, name: str) -> Collection:
        """The collection ``name``, without a request (it is checked when first used)."""
        return Collection(self, name)

    def wait(self, job_id: str | Job, timeout: float = 600.0, poll: float = 1.0) -> Job:
        """Poll a job until it is done and return its final state; :class:`JobFailed` if it
        failed, :class:`JobTimeout` if it is still going after ``timeout`` seconds."""
        job_id = job_id.id if isinstance(job_id, Job) else job_id
        deadline = time.monotonic() + timeout
        while True:
            state = self.job(job_id)
            left = deadline - time.monotonic()
            if job_settled(state, left <= 0):
                return state
            self._sleep(min(poll, left))

    # -- lifecycle ------------------------------------------------------------------
    def close(self) -> None:
        """Close pooled connections; the client must not be used afterwards."""
        self._t.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.url!r}, format={self.format!r})"
