"""``POST /models/<name>/activate`` on a shared Milvus: re-encode the bound collections
into new Milvus collections, then switch every replica with one record upsert.

The steps, and why each is safe:

1. Read the record; refuse if another replica's switch holds a fresh lease, or if this
   replica has not yet followed the last switch. Drop what may go (``shared.sweep``).
   Write the record back with this switch's lease (same generation: no replica moves).
2. List the bound collections (``bound.stores_bound_to_model``: ``default`` and every
   collection created with ``"model": "default"``; ``"model": null`` ones are never
   touched), copy each (a scroll, vectors included) and write its items, re-encoded by
   the new model (``reencode.items_for``: vector-only items and the caller's own vectors
   kept as they are), into a NEW Milvus collection, ``<prefix>_g<generation>_<name>``.
   Every replica keeps serving, writes included, from the live collections.
3. Catch up: copy each live collection again and apply what changed (any replica's
   writes); then hold this replica's writes (``SwitchGate``), list the bound collections
   once more (one removed meanwhile is dropped from the switch, one made or made anew
   meanwhile is copied whole now) and catch up a last time.
4. **Commit**: upsert the record (the new model, generation + 1, the new collections,
   the old ones in ``retired``). A crash before this leaves the old record: every replica
   serves the old side, and the new collections are dropped by the next switch or startup
   (their lease goes stale). This replica then swaps its served pair; the others do at
   their next poll (``shared.SharedModels.check``).
5. Writes that other replicas made on the old side before they polled are caught up
   once more, ``2 x poll`` after the commit, where the new side still holds what the
   switch wrote (a newer write there wins).

The old collections are dropped by a later sweep once the grace has passed
(``shared.py``). Activating the served model does nothing; activating the previous model
is a rollback, the same steps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from world2vec.memory.milvus import BackendError
from world2vec.memory.milvus.active import ActiveRecord, ActiveRecords
from world2vec.memory.milvus.routed import RoutedCollections, switched_name
from world2vec.service.models.bound import already_served, load_to_serve, stores_bound_to_model
from world2vec.service.models.jobs import JobFailure, JobHandle
from world2vec.service.models.reencode import ReencodeCounts
from world2vec.service.models.registry import ModelEntry
from world2vec.service.models.switch import SwitchGate
from world2vec.service.replicas.shared import LEASE_STALE, SharedModels
from world2vec.service.replicas.sides import Side, empty_copy, scrolled_copy

log = logging.getLogger("world2vec.service")

HEARTBEAT = 5.0          # seconds between the lease's heartbeats while re-encoding


def commit(records: ActiveRecords, record: ActiveRecord) -> None:
    """THE switch: one upsert of the record (a function of its own so a test can stop a
    switch right before it)."""
    records.write(record)


def discard(view: RoutedCollections, sides: list[Side]) -> None:
    """Drop the new collections of a switch that failed."""
    for side in sides:
        try:
            view.drop(side.store.collection)
        except BackendError:
            log.warning("could not drop %s; the next switch or startup will",
                        side.store.collection)


def _bound(state: Any) -> list[Any]:
    collections = state.collections
    return [collections.get(b.name) for b in stores_bound_to_model(state)]


def activation_work(entry: ModelEntry, shared: SharedModels,
                    gate: SwitchGate) -> Callable[[JobHandle], dict]:
    """The activation job for ``entry`` (see the module docstring)."""

    def work(handle: JobHandle) -> dict:
        state = shared.state
        old = state.served
        unchanged = already_served(entry.name, old.model)
        if unchanged is not None:
            return unchanged
        started = time.perf_counter()
        handle.progress(0.01, f"loading {entry.name}")
        model = load_to_serve(entry.path, entry.name)
        loaded_at = time.perf_counter()
        record0 = _claim(shared, old.model.name)
        generation = record0.generation + 1
        view: RoutedCollections = state.collections
        with gate.closed():
            bound = _bound(state)
        lease = {"generation": generation, "owner": shared.token, "heartbeat": time.time(),
                 "names": [switched_name(view.prefix, generation, c.name) for c in bound]}
        shared.records.write(record0.with_building(lease))
        sides: list[Side] = []
        try:
            total, done, beat = max(sum(len(c.store) for c in bound), 1), 0, time.time()
            for c in bound:
                handle.progress(0.02 + 0.9 * done / total, f"copying collection {c.name}")
                try:
                    copy = scrolled_copy(c.store)
                except BackendError:          # removed meanwhile: settled at the end
                    continue
                side = Side(c, view.create_physical(switched_name(view.prefix, generation,
                                                                  c.name), c),
                            copy, ReencodeCounts())
                sides.append(side)
                side.fill(old.model, model)
                done += len(copy)
                handle.progress(0.02 + 0.9 * done / total,
                                f"re-encoded collection {c.name}: {done:,} of {total:,} items")
                if time.time() - beat > HEARTBEAT:
                    beat = lease["heartbeat"] = time.time()
                    shared.records.write(record0.with_building(lease))
            encoded_at = time.perf_counter()
            handle.progress(0.93, "catching up with writes made meanwhile, then switching")
            caught_up = 0
            for side in sides:
                try:
                    caught_up += side.catch_up(old.model, model)
                except BackendError:
                    pass
            with gate.closed():
                closed_at = time.perf_counter()
                kept, late = _final_sides(state, view, sides, generation, lease, record0,
                                          shared)
                for side in kept:
                    caught_up += side.catch_up(old.model, model)
                now = round(time.time(), 3)
                retired = dict(record0.retired)
                retired.update({side.live.store.collection: now for side in kept})
                record1 = ActiveRecord(model.name, generation,
                                       {side.name: side.store.collection for side in kept},
                                       retired, old.model.name, now)
                with shared.lock:
                    commit(shared.records, record1)
                    try:
                        shared.serve(record1, model)
                    except BaseException:
                        shared.records.write(record0.with_building(None))
                        raise
                pause = time.perf_counter() - closed_at
        except BaseException:
            discard(view, sides)
            try:
                shared.records.write(record0.with_building(None))
            except BackendError:
                log.warning("could not release the switch's lease; it expires by itself")
            raise
        if old.model.path:
            shared.registry.remember(old.model.path, "startup", name=old.model.name)
        handle.progress(0.97, "catching up with writes other replicas made before they switched")
        time.sleep(2 * shared.poll)
        stragglers = 0
        for side in kept:
            try:
                stragglers += side.catch_up(old.model, model, guarded=True)
            except BackendError:
                pass
        return {"switched": True, "model": model.name, "previous": old.model.name,
                "generation": generation,
                "items": sum(len(side.store) for side in kept),
                "caught_up": caught_up, "caught_up_after_commit": stragglers,
                "stores": {side.name: side.counts.to_json() for side in kept},
                "collections": {side.name: side.store.collection for side in kept},
                "collections_made_during_switch": late,
                "model_load_seconds": round(loaded_at - started, 3),
                "reencode_seconds": round(encoded_at - loaded_at, 3),
                "writes_paused_seconds": round(pause, 4),
                "seconds": round(time.perf_counter() - started, 3)}

    return work


def _claim(shared: SharedModels, served: str) -> ActiveRecord:
    """The record a switch starts from, once it may start (module docstring, step 1)."""
    record = shared.records.read()
    if record is None:
        return ActiveRecord(served)
    if record.generation != shared.generation:
        shared.check()
        raise JobFailure(f"another replica switched to {record.model!r} meanwhile; this "
                         f"replica follows it now: activate again if still wanted")
    lease = record.building
    if lease and lease.get("owner") != shared.token and \
            time.time() - float(lease.get("heartbeat") or 0) < LEASE_STALE:
        raise JobFailure("a model switch is running on another replica of this Milvus "
                         f"(towards generation {lease.get('generation')}); try again later")
    return shared.sweep(record, switching=True).with_building(None)


def _final_sides(state: Any, view: RoutedCollections, sides: list[Side], generation: int,
                 lease: dict, record0: ActiveRecord,
                 shared: SharedModels) -> tuple[list[Side], list[str]]:
    """With this replica's writes held: the sides of the bound collections served now,
    and the names of those made (or made anew) during the switch, each given an empty
    new side to be filled by the last catch-up. Sides of removed collections are dropped."""
    by_name = {side.name: side for side in sides}
    kept, late = [], []
    for c in _bound(state):
        side = by_name.pop(c.name, None)
        if side is not None and side.identity == (c.store.collection, c.created_at):
            kept.append(side)
            continue
        if side is not None:
            discard(view, [side])
            sides.remove(side)
        physical = switched_name(view.prefix, generation, c.name)
        if physical not in lease["names"]:
            lease["names"].append(physical)
            shared.records.write(record0.with_building(lease))
        sides.append(Side(c, view.create_physical(physical, c), empty_copy(c.dim),
                          ReencodeCounts()))
        kept.append(sides[-1])
        late.append(c.name)
    for side in by_name.values():
        discard(view, [side])
        sides.remove(side)
    return kept, late
