"""Adding many items: batches, progress, and an item-by-item report of what failed.

The service validates a batch as a whole and writes nothing when any item is bad, so
a refused batch (400/409/413) is split in halves and resent until the bad items stand
alone: the good ones are stored and the report names each bad one with the server's
reason. A batch lost to a server or connection failure (after the transport's own
retries) is reported with ``maybe_applied`` set when the server may have stored it,
so the caller knows whether an upsert by id is needed to be sure.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TextIO

from world2vec_client.errors import (
    BadRequest,
    ClientError,
    Conflict,
    Forbidden,
    PayloadTooLarge,
    TransportError,
    Unauthorized,
    World2vecError,
)

SPLITTABLE = (BadRequest, Conflict, PayloadTooLarge)


@dataclass
class Failure:
    """One item that was not stored (or may not have been)."""

    position: int
    id: str | None
    error: Exception
    maybe_applied: bool = False

    @property
    def reason(self) -> str:
        err = self.error
        return getattr(err, "detail", None) or str(err)


@dataclass
class BatchReport:
    """What ``add_many`` did: ids stored, items that failed, requests sent, seconds taken."""

    ids: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    @property
    def added(self) -> int:
        return len(self.ids)

    @property
    def ok(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        text = f"{self.added} stored, {len(self.failures)} failed in {self.requests} requests " \
               f"({self.seconds:.1f} s)"
        for f in self.failures[:10]:
            text += f"\n  item {f.position} ({f.id or 'no id'}): {f.reason}"
        if len(self.failures) > 10:
            text += f"\n  ... and {len(self.failures) - 10} more"
        return text


class _Bar:
    """A one-line progress bar on stderr (the client ships without the server's)."""

    def __init__(self, total: int | None, stream: TextIO | None = None) -> None:
        self.total, self.start = total, time.monotonic()
        self.stream = stream if stream is not None else sys.stderr

    def __call__(self, done: int, total: int | None) -> None:
        rate = done / max(time.monotonic() - self.start, 1e-9)
        if total:
            filled = int(30 * done / total)
            line = f"\radding [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}"
        else:
            line = f"\radding {done}"
        self.stream.write(f"{line} items, {rate:,.0f}/s")
        if total is not None and done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


Plan = Generator[list[dict[str, Any]], "list[str] | World2vecError", BatchReport]


def plan_batches(items: Iterable[Any], *, batch_size: int,
                 progress: bool | Callable[[int, int | None], None], stop_on_error: bool,
                 to_wire: Callable[[Any, int], dict[str, Any]], assign_ids: bool = True) -> Plan:
    """The batching of ``add_many`` as a generator that does no I/O: it yields each batch
    of wire items to send and is sent back the ids stored or the error raised, and its
    return value is the report. :func:`add_in_batches` and :func:`add_in_batches_async`
    drive it, so the sync and async clients batch, split and report alike.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError("batch_size must be a positive integer")
    try:
        total: int | None = len(items)  # type: ignore[arg-type]
    except TypeError:
        total = None
    callback = _Bar(total) if progress is True else (progress or None)
    report = BatchReport()
    started = time.monotonic()
    done = 0
    position = 0
    for chunk in _chunks(items, batch_size):
        wired: list[tuple[int, dict[str, Any]]] = []
        for item in chunk:
            try:
                obj = to_wire(item, position)
                if assign_ids and obj.get("id") is None:
                    obj["id"] = uuid.uuid4().hex  # makes the batch an idempotent upsert
                wired.append((position, obj))
            except (TypeError, ValueError) as exc:
                item_id = item.get("id") if isinstance(item, dict) else getattr(item, "id", None)
                report.failures.append(Failure(position, item_id, exc))
            position += 1
        if wired:
            yield from _send(wired, report)
        done += len(chunk)
        if callback:
            callback(done, total)
        if stop_on_error and report.failures:
            break
    report.seconds = time.monotonic() - started
    return report


def _send(wired: list[tuple[int, dict[str, Any]]], report: BatchReport
          ) -> Generator[list[dict[str, Any]], Any, None]:
    report.requests += 1
    outcome = yield [w for _, w in wired]
    if isinstance(outcome, (Unauthorized, Forbidden)):
        raise outcome  # every later batch would fail the same way: stop and say why
    if isinstance(outcome, SPLITTABLE):
        if len(wired) == 1:
            pos, obj = wired[0]
            report.failures.append(Failure(pos, obj.get("id"), outcome))
            return
        half = len(wired) // 2
        yield from _send(wired[:half], report)
        yield from _send(wired[half:], report)
        return
    if isinstance(outcome, World2vecError):
        if isinstance(outcome, TransportError):
            maybe = outcome.maybe_applied
        else:  # a 4xx wrote nothing; a 5xx or an unreadable answer may follow a write
            maybe = not isinstance(outcome, ClientError)
        report.failures.extend(Failure(pos, obj.get("id"), outcome, maybe) for pos, obj in wired)
        return
    report.ids.extend(outcome)


def add_in_batches(add: Callable[..., list[str]], plan: Plan, *, upsert: bool) -> BatchReport:
    """Run a :func:`plan_batches` plan with a blocking ``add``."""
    try:
        batch = next(plan)
        while True:
            try:
                outcome: list[str] | World2vecError = add(batch, upsert=upsert)
            except World2vecError as exc:
                outcome = exc
            batch = plan.send(outcome)
    except StopIteration as stop:
        return stop.value


async def add_in_batches_async(add: Callable[..., Awaitable[list[str]]], plan: Plan, *,
                               upsert: bool) -> BatchReport:
    """Run a :func:`plan_batches` plan with an awaitable ``add``."""
    try:
        batch = next(plan)
        while True:
            try:
                outcome: list[str] | World2vecError = await add(batch, upsert=upsert)
            except World2vecError as exc:
                outcome = exc
            batch = plan.send(outcome)
    except StopIteration as stop:
        return stop.value
