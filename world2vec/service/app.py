"""The Flask application factory.

``create_app(config)`` loads the model, opens the memory (taking its directory
lock and replaying its write-ahead log) and the user's relations, and wires the
blueprints, the error handlers, the write guard and the metrics. One app instance lives in one process
and is shared by that process's request threads - see docs/SERVICE.md for why the
service runs exactly one worker process.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, g, request

from world2vec.embeddings import load_model
from world2vec.service import routes_concepts, routes_memories, routes_relations, routes_system
from world2vec.service.auth import make_guard
from world2vec.service.config import ServiceConfig
from world2vec.service.errors import register_error_handlers
from world2vec.service.state import ServiceState, open_memory

log = logging.getLogger("world2vec.service")


def create_app(config: ServiceConfig | None = None, *, model: Any = None,
               store: Any = None) -> Flask:
    """Build the app. ``model``/``store`` may be given already open (benchmarks, embedding
    the service in another program); otherwise they are loaded from ``config``."""
    config = (config or ServiceConfig.from_sources()).validate()
    if model is None:
        model = load_model(config.model)
    if store is None:
        store = open_memory(config, model)
    state = ServiceState(config, model, store)
    _warm_up(model)

    app = Flask("world2vec.service", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.config["JSON_SORT_KEYS"] = False
    app.extensions["world2vec"] = state

    app.register_blueprint(routes_concepts.bp)
    app.register_blueprint(routes_memories.bp)
    app.register_blueprint(routes_relations.bp)
    app.register_blueprint(routes_system.bp)
    register_error_handlers(app)

    guard = make_guard(config.api_key)

    @app.before_request
    def _start() -> None:
        g.w2v_started = time.perf_counter()
        guard(request)

    @app.after_request
    def _finish(response):
        started = g.get("w2v_started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            state.metrics.observe(request.method, rule, response.status_code,
                                  time.perf_counter() - started)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    return app


def _warm_up(model: Any) -> None:
    """Compute the vocabulary's unit rows now, so the first query is not the slow one."""
    try:
        _ = model.words.normed
    except AttributeError:  # a model without a vocabulary matrix: nothing to prepare
        pass


def close_app(app: Flask) -> None:
    """Release the memory (snapshot + directory lock); safe to call twice."""
    state = app.extensions.get("world2vec")
    if state is not None:
        state.close()
