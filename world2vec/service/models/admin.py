"""What the model routes share: the registry, the job board, the switch gate, the state.

``install(app, state, startup)`` (called by the app factory) builds one
:class:`ModelAdmin`, registers the routes, and hooks every write request through the
switch gate: the gate is what lets a switch apply the last writes and swap the
served pair with no write lost or split between the two stores.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from flask import Flask, current_app, g, request

from world2vec.memory.collections.active_model import model_location
from world2vec.service.auth import Access, classify
from world2vec.service.models.bound import Startup, remove_leftovers
from world2vec.service.models.jobs import JobBoard
from world2vec.service.models.registry import ModelEntry, ModelRegistry
from world2vec.service.models.switch import SwitchGate

EXTENSION = "world2vec.models"


class ModelAdmin:
    """The models, jobs and switch gate of one service process."""

    def __init__(self, state: Any, startup: Startup) -> None:
        self.state = state
        self.data_dir = os.path.abspath(state.config.data)
        self.registry = ModelRegistry(self.data_dir)
        self.jobs = JobBoard()
        self.gate = SwitchGate()
        #: With ``--backend milvus``, the replica's view of the shared Milvus
        #: (``service.replicas``): it runs the switch, and follows those of other replicas.
        self.shared: Any = None
        if state.model.path:
            self.registry.remember(state.model.path, "startup", name=state.model.name)
        previous = startup.pointer.previous if startup.pointer else None
        if previous and previous.get("model_path"):
            path = model_location(self.data_dir, previous["model_path"])
            if os.path.isfile(os.path.join(path, "manifest.json")):
                self.registry.remember(path, "startup", name=previous.get("model"))
        live_dir = getattr(state.store, "data_dir", None)     # None: a Milvus memory
        if live_dir and os.path.abspath(live_dir) == os.path.abspath(startup.store_dir):
            remove_leftovers(self.data_dir, startup)   # we hold the live stores' locks
            self._remove_staging()

    @property
    def active(self) -> str:
        return self.state.model.name

    def active_entry(self) -> ModelEntry:
        entry = self.registry.get(self.active)
        return entry or ModelEntry(self.active, self.state.model.path or "", "startup")

    def _remove_staging(self) -> None:
        """Staging folders of a model save or a training job that a crash interrupted
        (only this process writes them: it holds the live store's lock)."""
        for folder, prefix in ((self.registry.models_dir, ".stage-"), (self.data_dir, ".train-")):
            if os.path.isdir(folder):
                for name in os.listdir(folder):
                    if name.startswith(prefix):
                        shutil.rmtree(os.path.join(folder, name), ignore_errors=True)


def admin() -> ModelAdmin:
    return current_app.extensions[EXTENSION]


def install(app: Flask, state: Any, startup: Startup) -> ModelAdmin:
    """Attach the model registry, jobs and routes to ``app`` (see the module docstring)."""
    from world2vec.service.models.routes import bp

    model_admin = ModelAdmin(state, startup)
    app.extensions[EXTENSION] = model_admin
    app.register_blueprint(bp)

    @app.before_request
    def _hold_gate() -> None:
        rule = request.url_rule.rule if request.url_rule is not None else None
        writes = classify(request.method, request.endpoint, rule) is Access.WRITE
        if writes and request.endpoint is not None and request.blueprint != bp.name:
            model_admin.gate.enter()
            g.w2v_gate_held = True

    @app.teardown_request
    def _release_gate(_exc: BaseException | None = None) -> None:
        if g.pop("w2v_gate_held", False):
            model_admin.gate.leave()

    return model_admin
