"""One replica's side of a Milvus shared with others: what it serves at startup, how it
follows a switch made by any replica, and what it may drop.

Startup (:func:`open_shared`): read the active record (memory/milvus/active.py); serve
the model it names (``DATA/models/<name>/``, the bundled model or ``--model``: model
files are read-only and every host has them) over the Milvus collections it names. A
model missing on this host is logged and reported by ``/health`` (503), and every other
route answers 503 until it appears; the process does not exit (no crash loop), and its
poll picks the model up once it is copied in.

Following (:class:`SharedModels`): a daemon thread reads the record every
``WORLD2VEC_MILVUS_POLL`` seconds (default 2; one primary-key query); when its
``generation`` moved, it loads the record's model and swaps the served pair (model,
collections read through the new routes, relations refitted) in one reference
assignment (``ServiceState.refit_relations``): requests already running finish on the
pair they were pinned to, new ones see the new pair whole.

Fencing writes: a write (a request that needs the write key) is applied only by a
replica that read the record less than ``poll`` seconds before the write began; one
whose last read is older (its poll thread stalled, Milvus unreachable for a moment)
reads the record first, and answers 503 if it cannot. So a write lands on the old side
only if it began within ``poll`` of the commit, and the switch's last catch-up,
``2 x poll`` after its commit, carries it over unless the write itself took longer
than ``poll``.

Dropping (:meth:`SharedModels.sweep`, at startup and at the start of each switch): a
Milvus collection a committed switch moved away from is listed in the record's
``retired`` with the time it stopped being served, and dropped only once that is older
than the grace, ``2 x poll + request timeout``: by then every replica has polled the
new record and every request pinned to the old side has ended. A switch's collections
that no record names (a switch that died before its commit) are dropped unless their
``building`` lease is fresh (a switch in progress on some replica). docs/MODELS.md.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, request

from world2vec.memory.errors import ValidationError
from world2vec.memory.milvus import MilvusCollections, connect
from world2vec.memory.milvus.active import ActiveRecord, ActiveRecords
from world2vec.memory.milvus.collections import DEFAULT
from world2vec.memory.milvus.routed import RoutedCollections, is_switched_name
from world2vec.service.auth import Access, classify
from world2vec.service.errors import ApiError
from world2vec.service.models.bound import load_named, load_to_serve
from world2vec.service.models.registry import ModelRegistry

log = logging.getLogger("world2vec.service")

POLL_VARIABLE = "WORLD2VEC_MILVUS_POLL"
DEFAULT_POLL = 2.0
LEASE_STALE = 120.0     # seconds without a heartbeat after which a switch is taken for dead
EXTENSION = "world2vec.shared"
ALWAYS_ANSWER = frozenset({"models.list_models", "models.list_jobs", "models.get_job",
                           "system.metrics", "system.openapi"})


class SharedModels:
    """What one replica knows of the shared Milvus (see the module docstring)."""

    def __init__(self, view: RoutedCollections, records: ActiveRecords, registry: ModelRegistry,
                 config: Any, record: ActiveRecord | None, error: str | None) -> None:
        self.view = view
        self.records = records
        self.registry = registry
        self.config = config
        self.error = error
        self.generation = -1 if error else (record.generation if record else 0)
        self.lock = threading.RLock()     # a poll's swap and a switch's commit, one at a time
        self.token = uuid.uuid4().hex     # who holds a switch's lease
        self.poll = float(os.environ.get(POLL_VARIABLE) or DEFAULT_POLL)
        self.state: Any = None
        #: When the record was last read (monotonic; taken before the read began).
        self.last_read = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def grace(self) -> float:
        """How long a side switched away from may still be read (module docstring)."""
        return 2 * self.poll + float(self.config.timeout)

    # -- startup and the app ----------------------------------------------------------
    def attach(self, app: Flask, state: Any, model_admin: Any) -> None:
        """Follow the record for ``app``'s state; answer 503 while the model is missing."""
        self.state = state
        model_admin.shared = self
        for entry in self.registry.entries():
            model_admin.registry.remember(entry.path, entry.source, name=entry.name)
        app.extensions[EXTENSION] = self

        @app.before_request
        def _model_missing():
            if self.error is None or request.endpoint in ALWAYS_ANSWER:
                return None
            if request.endpoint == "system.health":
                return {"status": "error", "error": self.error}, 503
            raise ApiError(503, self.error, slug="model-missing", title="Service Unavailable")

        @app.before_request
        def _fence_writes():
            rule = request.url_rule.rule if request.url_rule is not None else None
            if classify(request.method, request.endpoint, rule) is Access.WRITE:
                self.fence()

        self._thread = threading.Thread(target=self._follow, name="world2vec-milvus-record",
                                        daemon=True)
        self._thread.start()

    def activation_work(self, entry: Any, gate: Any) -> Any:
        """The job that switches every replica to model ``entry`` (switch.py)."""
        from world2vec.service.replicas.switch import activation_work

        return activation_work(entry, self, gate)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.poll + 5)

    # -- following the record -----------------------------------------------------------
    def _follow(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                self.check()
            except Exception:       # Milvus unreachable for a moment: try at the next poll
                log.exception("reading the active model record")

    def fence(self) -> None:
        """Before a write: make sure this replica read the record less than ``poll``
        seconds ago, reading it now if not (module docstring, "Fencing writes")."""
        if time.monotonic() - self.last_read < self.poll:
            return
        try:
            self.check()
        except Exception as exc:
            log.exception("reading the active model record before a write")
            raise ApiError(503, "the shared Milvus's active-model record cannot be read, so "
                                "this replica cannot tell which side a write belongs on; "
                                "nothing was written, retry", slug="record-unreadable",
                           title="Service Unavailable") from exc

    def check(self) -> bool:
        """Read the record; serve what it names if it moved. True if a switch happened."""
        started = time.monotonic()
        record = self.records.read()
        self.last_read = started
        with self.lock:
            if record is None or record.generation == self.generation:
                return False
            return self.serve(record)

    def serve(self, record: ActiveRecord, model: Any = None) -> bool:
        """Swap the served pair for the record's (``model``: already loaded)."""
        if model is None:
            model = self.load(record.model)
            if model is None:
                return False
        state = self.state
        current = state.collections
        target = self.view.rerouted(record.stores)
        stores = {}
        for name in set(current.routes) | set(record.stores):
            try:
                stores[name] = target.get(name).store
            except LookupError:     # UnknownCollection: removed since
                continue
        if model is state.model or model.name == state.model.name:
            model = state.model
        state.refit_relations(model, stores=stores or {DEFAULT: target.default.store})
        self.generation, self.error = record.generation, None
        log.info("serving model %s (switch %d, read from the shared Milvus)", record.model,
                 record.generation)
        return True

    def load(self, name: str) -> Any:
        """Model ``name`` from this host's files, or None (and the error set) if missing."""
        if self.state is not None and self.state.model.name == name:
            return self.state.model
        entry = self.registry.get(name)
        if entry is None:
            error = model_missing(name, self.registry.models_dir)
            if error != self.error:
                log.error("%s", error)
            self.error = error
            return None
        model = load_to_serve(entry.path, name)
        return model

    # -- what may go ----------------------------------------------------------------------
    def sweep(self, record: ActiveRecord | None, *, switching: bool = False) -> ActiveRecord | None:
        """Drop the collections no replica may read any more (module docstring); returns
        the record with those dropped left out of ``retired``."""
        if record is None:
            return None
        now = time.time()
        keep = set(record.stores.values())
        lease = record.building
        if lease and not (switching and lease.get("owner") == self.token) \
                and now - float(lease.get("heartbeat") or 0) < LEASE_STALE:
            keep |= set(lease.get("names") or ())
        view = self.view.rerouted(record.stores)
        keep |= {view.physical_name(name) for name in view.names()}
        retired = {}
        for physical, since in record.retired.items():
            if physical not in keep and now - float(since) >= self.grace:
                log.info("dropping %s: switched away from %.0f s ago", physical, now - since)
                view.drop(physical)
            else:
                retired[physical] = since
        for physical in view.listed():
            if is_switched_name(view.prefix, physical) and physical not in keep \
                    and physical not in retired:
                log.info("dropping %s: a switch that never committed wrote it", physical)
                view.drop(physical)
        return record.with_retired(retired)


def model_missing(name: str, models_dir: str) -> str:
    return (f"the shared Milvus is served with model {name!r}, which this host lacks: copy it "
            f"to {os.path.join(models_dir, name)} (every replica reads models from its own "
            f"DATA/models; docs/SCALING.md)")


def open_shared(config: Any, options: Mapping[str, Any] | None = None
                ) -> tuple[SharedModels, Any]:
    """Connect to the Milvus of ``config``, read its record, load the model it names and
    open the collections where it says; returns the replica's view and the model.
    ``options`` go to :class:`MilvusCollections` (``prefix``, ``index``, ``shards``...)."""
    uri = config.milvus_uri or os.path.join(os.path.abspath(config.data), "milvus.db")
    client = connect(uri, config.milvus_token)
    try:
        base = MilvusCollections(client, 0, owns_client=True, uri=uri, **dict(options or {}))
        records = ActiveRecords(client, base.prefix)
        record = records.read()
        registry = ModelRegistry(config.data)
        if config.model:
            registry.remember(config.model, "startup")
        model, error = None, None
        if record is not None:
            entry = registry.get(record.model)
            if entry is None:
                error = model_missing(record.model, registry.models_dir)
                log.error("%s", error)
            else:
                model = load_named(entry.path, record.model)
        if model is None:                  # never switched (or the model is missing here)
            model = load_named(config.model)
        base.model_dim = int(model.dim)
        view = RoutedCollections(base, record.stores if record else {})
        if error is None:
            if DEFAULT not in view:
                view.create(DEFAULT)
            if view.default.dim != base.model_dim:
                raise ValidationError(f"the Milvus collection {view.default.store.collection} "
                                      f"holds vectors of dimension {view.default.dim}, not "
                                      f"{base.model_dim} (was it written with another model?)")
        shared = SharedModels(view, records, registry, config, record, error)
        shared.sweep(record)
        return shared, model
    except BaseException:
        client.close()
        raise
