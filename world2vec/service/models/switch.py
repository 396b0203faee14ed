"""``POST /models/<name>/activate``: re-encode the bound stores aside, then switch at once.

The steps, and why each is safe:

1. Copy each bound store's items (a consistent snapshot) and write them, re-encoded by
   the new model (``reencode.py``), into a NEW store directory. The live store is only
   read; requests, writes included, go on as before. This is the long part.
   Meanwhile the live store is served through a :class:`~.watch.WatchedStore`, which
   notes the id of every item written (installed with the gate closed, so no write
   request still holds the unwatched store).
2. Apply what was written since the copy (by the noted ids, read from the live store
   now), then close the gate to writes (:class:`SwitchGate`: write requests hold it
   shared, so this waits for those in flight and holds back new ones; reads never
   wait) and apply the few written since. A write the watch could not note (a store
   method it does not know) falls back to comparing two full copies
   (``changes_between``).
3. Write the pointer (``pointer.py``): the commit. A crash before it restarts on the
   old pair (the new directory is removed at startup), after it on the new pair.
4. Swap model + store + refitted relations in one reference assignment
   (``ServiceState.refit_relations(model, store=...)``), open the gate. Requests that
   began before the swap finish on the old pair (they are pinned to it); the old store
   is closed once the last of them is done, and its directory removed.

Activating the served model is a job that does nothing; activating the previous model
is a rollback, the same steps in the other direction.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from world2vec.memory import MemoryStore
from world2vec.service.models.bound import (
    BoundStore,
    StoreCopy,
    copy_items,
    load_named,
    new_store_directory,
    recorded_location,
    retire_store_directory,
    stores_bound_to_model,
)
from world2vec.service.models.jobs import JobHandle
from world2vec.service.models.pointer import POINTER_FILE, ActivePointer, read_pointer, write_pointer
from world2vec.service.models.reencode import ReencodeCounts, changes_between, copy_of, items_for
from world2vec.service.models.registry import ModelEntry, ModelRegistry
from world2vec.service.models.watch import WatchedStore

log = logging.getLogger("world2vec.service")

BATCH = 1000


class SwitchGate:
    """Write requests pass it shared; a switch's final step holds it alone."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._writers = 0
        self._closed = False

    def enter(self) -> None:
        with self._cond:
            while self._closed:
                self._cond.wait()
            self._writers += 1

    def leave(self) -> None:
        with self._cond:
            self._writers -= 1
            self._cond.notify_all()

    @contextmanager
    def closed(self) -> Iterator[None]:
        """Hold back new writes and wait for those in flight; reopen on exit."""
        with self._cond:
            while self._closed:
                self._cond.wait()
            self._closed = True
            while self._writers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._closed = False
                self._cond.notify_all()


@dataclass
class Rewritten:
    """One bound store's new side while a switch runs."""

    bound: BoundStore
    copy: StoreCopy
    directory: str          # relative to DATA
    store: MemoryStore
    counts: ReencodeCounts


def activation_work(entry: ModelEntry, registry: ModelRegistry, state: Any,
                    gate: SwitchGate) -> Callable[[JobHandle], dict]:
    """The activation job for ``entry`` (see the module docstring)."""

    def work(handle: JobHandle) -> dict:
        old = state.served
        if entry.name == old.model.name:
            return {"switched": False, "model": entry.name,
                    "detail": f"{entry.name} is already the served model"}
        started = time.perf_counter()
        handle.progress(0.01, f"loading {entry.name}")
        model = load_named(entry.path, entry.name)
        _ = model.words.normed                # the first request must not pay for it
        loaded_at = time.perf_counter()
        data = registry.data_dir
        bound = stores_bound_to_model(state)
        with gate.closed():                   # from here on every write is noted
            watched = WatchedStore(bound[0].store)
            state.serve_store(watched)
        watching = state.served
        rewritten: list[Rewritten] = []
        try:
            total = max(sum(len(b.store) for b in bound), 1)
            done = 0
            for b in bound:
                handle.progress(0.02, f"copying store {b.name}")
                copy = copy_items(b.store)
                directory = new_store_directory(data, b.name, model.name)
                store = MemoryStore.open(os.path.join(data, directory), int(model.dim),
                                         state.config.index)
                side = Rewritten(b, copy, directory, store, ReencodeCounts())
                rewritten.append(side)
                for start in range(0, len(copy), BATCH):
                    rows = list(range(start, min(start + BATCH, len(copy))))
                    store.add(items_for(copy, rows, old.model, model, side.counts))
                    done += len(rows)
                    handle.progress(0.02 + 0.9 * done / total,
                                    f"re-encoding store {b.name}: {done:,} of {total:,} items")
                store.snapshot()
            encoded_at = time.perf_counter()
            handle.progress(0.93, "catching up with writes made meanwhile, then switching")
            caught_up = _catch_up(rewritten[0], watched.take(), old.model, model)
            with gate.closed():
                closed_at = time.perf_counter()
                side = rewritten[0]
                caught_up += (_catch_up(side, watched.take(), old.model, model) if watched.complete
                              else _catch_up_by_copies(side, old.model, model))
                previous = read_pointer(data)
                pointer = ActivePointer(
                    model.name, recorded_location(data, entry.path),
                    {side.bound.name: side.directory for side in rewritten},
                    previous={"model": old.model.name, "model_path":
                              recorded_location(data, old.model.path) if old.model.path else ""},
                    switched_at=round(time.time(), 3))
                write_pointer(data, pointer)
                items_at_switch = sum(len(side.store) for side in rewritten)
                try:
                    unavailable = state.refit_relations(model, store=rewritten[0].store)
                except BaseException:
                    _restore_pointer(data, previous)
                    raise
                pause = time.perf_counter() - closed_at
        except BaseException:
            state.serve_store(bound[0].store)   # the live store, no longer watched
            for side in rewritten:
                side.store.close(snapshot=False)
                shutil.rmtree(os.path.join(data, side.directory), ignore_errors=True)
            raise
        if old.model.path:
            registry.remember(old.model.path, "startup", name=old.model.name)
        handle.progress(0.98, "closing the previous store")
        for served in (old, watching):
            if not served.wait_idle(float(state.config.timeout)):
                log.warning("requests still use the previous memory after %s s; closing it",
                            state.config.timeout)
        bound[0].store.close(snapshot=False)
        for side in rewritten:
            retire_store_directory(data, side.bound.directory)
        return {"switched": True, "model": model.name, "previous": old.model.name,
                "items": items_at_switch,
                "caught_up": caught_up,
                "stores": {side.bound.name: side.counts.to_json() for side in rewritten},
                "relations_unavailable": unavailable,
                "model_load_seconds": round(loaded_at - started, 3),
                "reencode_seconds": round(encoded_at - loaded_at, 3),
                "writes_paused_seconds": round(pause, 4),
                "seconds": round(time.perf_counter() - started, 3)}

    return work


def _catch_up(side: Rewritten, ids: set[str], old_model: Any, new_model: Any) -> int:
    """Apply to the new store the items ``ids`` as the live store holds them now (gone
    ones deleted), re-encoded by the rule of ``reencode.py``."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        chunk = ordered[start:start + BATCH]
        items = [side.bound.store.get(i) for i in chunk]
        gone = [i for i, item in zip(chunk, items) if item is None]
        if gone:
            side.store.delete_many(gone)
        present = copy_of([item for item in items if item is not None])
        if len(present):
            side.store.upsert(items_for(present, list(range(len(present))), old_model,
                                        new_model, side.counts))
    return len(ordered)


def _catch_up_by_copies(side: Rewritten, old_model: Any, new_model: Any) -> int:
    """The slow, sure way (a write the watch could not note): compare the live store
    with the copy the new store was made from, apply the difference."""
    latest = copy_items(side.bound.store)
    changed, deleted = changes_between(side.copy, latest)
    if deleted:
        side.store.delete_many(deleted)
    for start in range(0, len(changed), BATCH):
        side.store.upsert(items_for(latest, changed[start:start + BATCH], old_model, new_model,
                                    side.counts))
    return len(changed) + len(deleted)


def _restore_pointer(data: str, previous: ActivePointer | None) -> None:
    """Undo a pointer written just now (the swap after it failed)."""
    if previous is not None:
        write_pointer(data, previous)
    else:
        os.remove(os.path.join(data, POINTER_FILE))
