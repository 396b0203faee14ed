"""``POST /models/<name>/activate``: re-encode the bound stores aside, then switch at once.

The bound stores are ``default``'s and those of every collection created with
``"model": "default"`` (``bound.stores_bound_to_model``); collections with their own
vectors are never touched. The steps, and why each is safe:

1. With the gate to writes closed for an instant (:class:`SwitchGate`: write requests
   hold it shared, so this waits for those in flight and holds back new ones; reads
   never wait), list the bound stores and serve each through a
   :class:`~.watch.WatchedStore`, which notes the id of every item written to it. Then
   copy each one's items (a consistent snapshot) and write them, re-encoded by the new
   model (``reencode.py``), into a NEW store directory. The live stores are only read;
   requests, writes included, go on as before. This is the long part.
2. Apply to each new store what was written since its copy (by the noted ids, read from
   the live store now), then close the gate and apply the few written since. A write
   the watch could not note (a store method it does not know) falls back to comparing
   two full copies (``changes_between``). A bound collection removed meanwhile is
   dropped from the switch; one created (or removed and made anew) meanwhile is copied
   and re-encoded whole now, with the gate closed (it is as young as the switch).
3. Write the pointer (``pointer.py``), naming every new store: the one commit. A crash
   before it restarts on the old pair (the new directories are removed at startup),
   after it on the new pair, for every collection at once.
4. Swap model + stores + refitted relations in one reference assignment
   (``ServiceState.refit_relations(model, stores=...)``), open the gate. Requests that
   began before the swap finish on the old pair (they are pinned to it, every
   collection included); the old stores are closed once the last of them is done, and
   their files removed.

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

import numpy as np

from world2vec.memory import MemoryStore, StoreClosed
from world2vec.memory.collections.active_model import POINTER_FILE, ActivePointer, read_pointer
from world2vec.service.models.bound import (
    BoundStore,
    StoreCopy,
    already_served,
    copy_items,
    load_to_serve,
    new_store_directory,
    recorded_location,
    retire_store_directory,
    stores_bound_to_model,
)
from world2vec.service.models.jobs import JobHandle
from world2vec.service.models.pointer import write_pointer
from world2vec.service.models.reencode import (
    COLUMNS,
    ReencodeCounts,
    changes_between,
    copy_of,
    items_for,
)
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


@dataclass(eq=False)
class Rewritten:
    """One bound store's new side while a switch runs (``watched``: how the live store is
    served meanwhile; None for a collection made during the switch)."""

    bound: BoundStore
    watched: WatchedStore | None
    copy: StoreCopy
    directory: str          # relative to DATA
    store: MemoryStore
    counts: ReencodeCounts

    def discard(self, data: str) -> None:
        self.store.close(snapshot=False)
        shutil.rmtree(os.path.join(data, self.directory), ignore_errors=True)


def activation_work(entry: ModelEntry, registry: ModelRegistry, state: Any,
                    gate: SwitchGate) -> Callable[[JobHandle], dict]:
    """The activation job for ``entry`` (see the module docstring)."""

    def work(handle: JobHandle) -> dict:
        old = state.served
        unchanged = already_served(entry.name, old.model)
        if unchanged is not None:
            return unchanged
        started = time.perf_counter()
        handle.progress(0.01, f"loading {entry.name}")
        model = load_to_serve(entry.path, entry.name)
        loaded_at = time.perf_counter()
        data = registry.data_dir
        with gate.closed():                   # from here on every write is noted
            bound = stores_bound_to_model(state)
            watches = {b.name: WatchedStore(b.store) for b in bound}
            state.serve_stores(watches)
            total = max(sum(len(b.store) for b in bound), 1)
        sides: list[Rewritten] = []           # every new store made (removed on failure)
        try:
            done = 0
            for b in bound:
                handle.progress(0.02 + 0.9 * done / total, f"copying store {b.name}")
                try:
                    copy = copy_items(b.store)
                except StoreClosed:           # a collection removed meanwhile: left out
                    continue
                side = _new_side(data, b, watches[b.name], copy, model, state)
                sides.append(side)
                for start in range(0, len(side.copy), BATCH):
                    rows = list(range(start, min(start + BATCH, len(side.copy))))
                    side.store.add(items_for(side.copy, rows, old.model, model, side.counts))
                    done += len(rows)
                    handle.progress(0.02 + 0.9 * done / total,
                                    f"re-encoding store {b.name}: {done:,} of {total:,} items")
                side.store.snapshot()
            encoded_at = time.perf_counter()
            handle.progress(0.93, "catching up with writes made meanwhile, then switching")
            caught_up = 0
            for side in sides:
                try:
                    caught_up += _catch_up(side, side.watched.take(), old.model, model)
                except StoreClosed:           # removed meanwhile: dropped below
                    pass
            with gate.closed():
                closed_at = time.perf_counter()
                kept, late = _final_sides(state, data, sides, model)
                for side in kept:
                    caught_up += (_catch_up(side, side.watched.take(), old.model, model)
                                  if side.watched is not None and side.watched.complete
                                  else _catch_up_by_copies(side, old.model, model))
                previous = read_pointer(data)
                pointer = ActivePointer(
                    model.name, recorded_location(data, entry.path),
                    {side.bound.name: side.directory for side in kept},
                    previous={"model": old.model.name, "model_path":
                              recorded_location(data, old.model.path) if old.model.path else ""},
                    switched_at=round(time.time(), 3))
                write_pointer(data, pointer)
                items_at_switch = sum(len(side.store) for side in kept)
                try:
                    unavailable = state.refit_relations(
                        model, stores={side.bound.name: side.store for side in kept})
                except BaseException:
                    _restore_pointer(data, previous)
                    raise
                pause = time.perf_counter() - closed_at
        except BaseException:
            with gate.closed():               # the live stores, no longer watched
                _unwatch(state, watches)
            for side in sides:
                side.discard(data)
            raise
        if old.model.path:
            registry.remember(old.model.path, "startup", name=old.model.name)
        handle.progress(0.98, "closing the previous stores")
        if not state.wait_previous_idle(float(state.config.timeout)):
            log.warning("requests still use the previous memory after %s s; closing it",
                        state.config.timeout)
        for side in kept:
            side.bound.store.close(snapshot=False)
            retire_store_directory(data, side.bound.directory)
        return {"switched": True, "model": model.name, "previous": old.model.name,
                "items": items_at_switch,
                "caught_up": caught_up,
                "stores": {side.bound.name: side.counts.to_json() for side in kept},
                "collections_made_during_switch": late,
                "relations_unavailable": unavailable,
                "model_load_seconds": round(loaded_at - started, 3),
                "reencode_seconds": round(encoded_at - loaded_at, 3),
                "writes_paused_seconds": round(pause, 4),
                "seconds": round(time.perf_counter() - started, 3)}

    return work


def _new_side(data: str, bound: BoundStore, watched: WatchedStore | None, copy: StoreCopy,
              model: Any, state: Any) -> Rewritten:
    """An empty new store for ``bound``, in a fresh directory, for ``model``'s vectors."""
    directory = new_store_directory(data, bound.name, model.name)
    store = MemoryStore.open(os.path.join(data, directory), int(model.dim), state.config.index,
                             metric=getattr(bound.store, "metric", "cosine"))
    return Rewritten(bound, watched, copy, directory, store, ReencodeCounts())


def _final_sides(state: Any, data: str, sides: list[Rewritten],
                 model: Any) -> tuple[list[Rewritten], list[str]]:
    """With the gate closed: the new sides of the collections served now, and the names
    of those made during the switch (each given an empty new side, added to ``sides``,
    to be filled by comparing copies). A side whose collection was removed (or removed
    and made anew) meanwhile is discarded."""
    current = stores_bound_to_model(state)
    by_name = {side.bound.name: side for side in sides}
    kept, late = [], []
    for b in current:
        side = by_name.pop(b.name, None)
        if side is not None and b.store is side.watched:
            kept.append(side)
            continue
        if side is not None:
            side.discard(data)
        empty = StoreCopy(np.zeros((0, int(model.dim)), np.float32),
                          {column: [] for column in ("ids", *COLUMNS)})
        sides.append(_new_side(data, BoundStore(b.name, _unwrapped(b.store), b.directory), None,
                               empty, model, state))
        kept.append(sides[-1])
        late.append(b.name)
    for side in by_name.values():
        side.discard(data)
    return kept, late


def _unwrapped(store: Any) -> Any:
    return store.inner if isinstance(store, WatchedStore) else store


def _unwatch(state: Any, watches: dict[str, WatchedStore]) -> None:
    """Serve the live stores themselves again (a switch that failed)."""
    served = {c.name: c.store.inner for c in state.collections
              if c.name in watches and c.store is watches[c.name]}
    if served:
        state.serve_stores(served)


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
