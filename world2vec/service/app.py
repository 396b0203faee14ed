"""The Flask application factory.

``create_app(config)`` loads the model, opens the memory's collections (taking each
one's directory lock and replaying its write-ahead log) and the user's relations, and
wires the blueprints, the error handlers, the keys (auth.py), the browser origins
(cors.py) and the metrics. One app instance lives in one process and is shared by that
process's request threads - see docs/SERVICE.md for why the service runs exactly one
worker process.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from flask import Flask, g, request

from world2vec.memory import MemoryStore
from world2vec.memory.collections import Collections
from world2vec.service import models as model_admin
from world2vec.service.auth import make_guard
from world2vec.service.collections import data as routes_data
from world2vec.service.collections import routes as routes_collections
from world2vec.service.collections import snapshots as routes_snapshots
from world2vec.service.config import ServiceConfig
from world2vec.service.cors import CorsPolicy
from world2vec.service.errors import ApiError, register_error_handlers
from world2vec.service.helpers import release_state
from world2vec.service.routes import concepts as routes_concepts
from world2vec.service.routes import memories as routes_memories
from world2vec.service.routes import relations as routes_relations
from world2vec.service.routes import system as routes_system
from world2vec.service.state import ServiceState

log = logging.getLogger("world2vec.service")

#: Routes that need the memory in DATA's files (snapshots are tar archives of them): with
#: Milvus they answer 501. (A model switch on Milvus is service/replicas/switch.py.)
MILVUS_UNAVAILABLE = frozenset({
    "snapshots.create_snapshot", "snapshots.list_snapshots", "snapshots.download_snapshot"})


def create_app(config: ServiceConfig | None = None, *, model: Any = None,
               store: Any = None, milvus_options: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``model``/``store`` may be given already open (benchmarks, embedding
    the service in another program); otherwise they are loaded from ``config``.
    ``milvus_options`` go to ``MilvusCollections`` with the milvus backend (``prefix``
    lets several services keep apart in one Milvus database; ``index``, ``shards``...)."""
    config = (config or ServiceConfig.from_sources()).validate()
    # A data directory that switched models names the model and memory it serves.
    startup = model_admin.resolve_startup(config.data, config.model)
    shared = None                         # with Milvus: the record every replica follows
    if store is None and config.backend == "milvus":
        # The one place the backend is chosen; pymilvus is imported only here. The model
        # is the one the shared Milvus's record names (every host has the model files).
        from world2vec.service.replicas import open_shared

        shared, served = open_shared(config, milvus_options or {})
        model = served if model is None else model
        collections: Any = shared.view
    elif model is None:
        model = model_admin.load_served_model(startup)
    # The collections live under DATA (or the given store's directory); the stores of
    # ``default`` and of the collections bound to the model are the ones the pointer
    # names when the data directory switched models.
    if shared is None:
        data = os.path.abspath(config.data) if store is None else store.data_dir
        store_dirs = None                 # the collections a switch re-encoded, if any
        if store is None:
            store = MemoryStore.open(startup.store_dir, int(model.dim), config.index)
            store_dirs = startup.collection_stores
        collections = Collections.open(data, int(model.dim), config.index, default=store,
                                       store_dirs=store_dirs)
    state = ServiceState(config, model, collections.default.store, collections)
    _warm_up(model)

    app = Flask("world2vec.service", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.config["JSON_SORT_KEYS"] = False
    app.extensions["world2vec"] = state

    app.register_blueprint(routes_concepts.bp)
    app.register_blueprint(routes_memories.bp)
    app.register_blueprint(routes_relations.bp)
    app.register_blueprint(routes_system.bp)
    app.register_blueprint(routes_data.bp)
    app.register_blueprint(routes_snapshots.bp)
    routes_collections.register(app)      # last: it gives the memory routes their scoped twins
    register_error_handlers(app)
    app.teardown_request(release_state)

    state.metrics.watch(state)
    guard = make_guard(config.api_key, config.read_key)
    cors = CorsPolicy(config.cors_origins)
    unavailable = MILVUS_UNAVAILABLE if config.backend == "milvus" else frozenset()

    @app.before_request
    def _start():
        g.w2v_started = time.perf_counter()
        preflight = cors.preflight(request)  # before the keys: a preflight carries none
        if preflight is not None:
            return preflight
        guard(request)
        if request.endpoint in unavailable:
            raise ApiError(501, f"{request.method} {request.path} is not available with the "
                                f"milvus backend (docs/SCALING.md)", slug="not-available",
                           title="Not Implemented")
        return None

    @app.after_request
    def _finish(response):
        cors.decorate(request, response)
        started = g.get("w2v_started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            state.metrics.observe(request.method, rule, response.status_code,
                                  time.perf_counter() - started)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    admin = model_admin.install(app, state, startup)   # /models, /jobs, and the switch gate
    if shared is not None:
        shared.attach(app, state, admin)   # follow the record: switches by any replica
    return app


def _warm_up(model: Any) -> None:
    """Compute the vocabulary's unit rows now, so the first query is not the slow one."""
    try:
        _ = model.words.normed
    except AttributeError:  # a model without a vocabulary matrix: nothing to prepare
        pass


def close_app(app: Flask) -> None:
    """Release the memory (snapshot + directory lock); safe to call twice."""
    shared = app.extensions.get("world2vec.shared")
    if shared is not None:
        shared.stop()
    state = app.extensions.get("world2vec")
    if state is not None:
        state.close()
