"""The models a service can serve: ``DATA/models/<name>/``, the bundled one, and the one
it started on.

Why names, not paths, on the wire: a caller activates "news-2024", never a server path.
A model trained by the service is saved to ``DATA/models/<name>/`` (immutable: a name
is taken once). The bundled model and the model given to ``serve --model`` are listed
under their manifest names, so a rollback to them is one activation like any other.
Listing reads each directory's ``manifest.json`` (and ``gate.json``), never the vectors.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass

from world2vec.paths import DEFAULT_MODEL_DIR

MODELS_DIR = "models"
GATE_FILE = "gate.json"          # a trained model's evaluation gate, saved with it
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: str
    source: str        # "data" (DATA/models), "bundled", or "startup" (serve --model)


def manifest_of(path: str) -> dict:
    with open(os.path.join(path, "manifest.json"), encoding="utf-8") as fh:
        return json.load(fh)


def gate_of(path: str) -> dict | None:
    """The evaluation gate recorded with a model (None: none was run, e.g. a model
    copied into DATA/models by hand)."""
    try:
        with open(os.path.join(path, GATE_FILE), encoding="utf-8") as fh:
            gate = json.load(fh)
        return gate if isinstance(gate, dict) else None
    except (OSError, json.JSONDecodeError):
        return None


class ModelRegistry:
    """Model names -> directories (see the module docstring)."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.models_dir = os.path.join(self.data_dir, MODELS_DIR)
        self._known: dict[str, ModelEntry] = {}
        self._lock = threading.Lock()
        self._reserved: set[str] = set()
        if os.path.isfile(os.path.join(DEFAULT_MODEL_DIR, "manifest.json")):
            self.remember(DEFAULT_MODEL_DIR, "bundled")

    def remember(self, path: str, source: str = "startup", name: str | None = None) -> ModelEntry:
        """List a model that lives outside DATA/models (the bundled one, ``--model``)."""
        path = os.path.abspath(path)
        if name is None:
            try:
                name = str(manifest_of(path).get("name") or os.path.basename(path))
            except (OSError, json.JSONDecodeError):
                name = os.path.basename(path)
        entry = ModelEntry(name, path, source)
        with self._lock:
            if name not in self._known or self._known[name].path == path:
                self._known[name] = entry
        return self._known[name]

    def entries(self) -> list[ModelEntry]:
        """Every model, those in DATA/models first (by name), then the others."""
        found: dict[str, ModelEntry] = {}
        if os.path.isdir(self.models_dir):
            for name in sorted(os.listdir(self.models_dir)):
                path = os.path.join(self.models_dir, name)
                if NAME_PATTERN.match(name) and os.path.isfile(os.path.join(path, "manifest.json")):
                    found[name] = ModelEntry(name, path, "data")
        with self._lock:
            for name, entry in sorted(self._known.items()):
                found.setdefault(name, entry)
        return list(found.values())

    def get(self, name: str) -> ModelEntry | None:
        for entry in self.entries():
            if entry.name == name:
                return entry
        return None

    def describe(self, entry: ModelEntry, active: str) -> dict:
        """One row of ``GET /models``."""
        try:
            manifest = manifest_of(entry.path)
        except (OSError, json.JSONDecodeError):
            manifest = {}
        training = manifest.get("training") or {}
        created = training.get("created_at")
        if created is None:
            try:
                created = round(os.path.getmtime(os.path.join(entry.path, "manifest.json")), 3)
            except OSError:
                created = None
        gate = gate_of(entry.path)
        parent = training.get("continued_from") or {}
        return {"name": entry.name, "dim": manifest.get("dim"), "words": manifest.get("words"),
                "created_at": created, "active": entry.name == active, "source": entry.source,
                "from": parent.get("name"), "new_words": training.get("new_words"),
                "gate": None if gate is None else {"passed": bool(gate.get("passed"))}}

    # -- names for new models ----------------------------------------------------------
    def reserve(self, name: str) -> str:
        """Claim ``name`` for a model being trained; ValueError if it is taken or invalid.
        Returns the directory the model will be saved to."""
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise ValueError("'name' must be 1-64 letters, digits, '.', '_' or '-', starting "
                             f"with a letter or digit, got {name!r}")
        path = os.path.join(self.models_dir, name)
        with self._lock:
            if name in self._reserved or name in self._known or os.path.exists(path):
                raise FileExistsError(f"a model named {name!r} exists (models are immutable: "
                                      "choose a new name)")
            self._reserved.add(name)
        return path

    def release(self, name: str) -> None:
        with self._lock:
            self._reserved.discard(name)
