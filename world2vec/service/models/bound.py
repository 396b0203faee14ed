"""The stores whose vectors the served model encoded, and where each one's files live.

THE SEAM for collections: :func:`stores_bound_to_model` is the one place that says which
stores a model switch must re-encode: the ``default`` collection's and every collection
created with ``"model": "default"``; the switch (switch.py) re-encodes and replaces each
of them the same way. Collections with their own vectors (``"model": null``) are never
touched.

Where a store lives: a data directory that never switched keeps ``default``'s memory in
``DATA`` itself (as it always has) and each collection's in ``DATA/collections/<name>/``
beside its manifest; each switch writes a complete new store for every bound collection
into ``DATA/stores/<collection>-<model>-<n>/`` and the pointer (pointer.py) names them
all, in one commit. :func:`resolve_startup` reads the pointer (and nothing else:
``world2vec load`` and ``dump`` call it too; ``world2vec.Memory`` reads it through the
same ``world2vec.memory.collections.active_model``); :func:`remove_leftovers`, called once the service holds
the live stores' locks, removes the store directories no pointer names (a switch that
crashed before its commit, the old side of one that crashed after it, the store of a
collection removed since) and the memory files the pointer switched away from.

A collection the pointer names but whose store directory is gone was removed after the
switch and made anew: its store is in its own directory again.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from world2vec.embeddings import load_model
from world2vec.memory import MemoryStore
from world2vec.memory.collections.active_model import (
    STORES_DIR,
    ActivePointer,
    read_pointer,
    resolve_active_model,
)
from world2vec.memory.collections.manifest import COLLECTIONS_DIR, DEFAULT
from world2vec.memory.snapshot import SNAP_RE, WAL_RE, read_snapshot

log = logging.getLogger("world2vec.service")

DEFAULT_STORE = DEFAULT
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class BoundStore:
    """A store bound to the served model: its name, the open store, and its directory
    relative to DATA (``""`` for DATA itself)."""

    name: str
    store: MemoryStore
    directory: str


def stores_bound_to_model(state: Any) -> list[BoundStore]:
    """Every store whose texts the served model encodes, ``default`` first (see the
    module docstring)."""
    data = os.path.abspath(state.config.data)
    return [BoundStore(c.name, c.store, relative_directory(data, c.store_dir)
                       if hasattr(c, "store_dir") else "")       # "": a Milvus collection
            for c in state.collections if c.name == DEFAULT_STORE or c.model == DEFAULT]


def relative_directory(data_dir: str, path: str) -> str:
    """``path`` relative to DATA (``""`` for DATA itself), as the pointer records stores."""
    path = os.path.abspath(path)
    return "" if path == os.path.abspath(data_dir) else os.path.relpath(path, data_dir)


@dataclass
class StoreCopy:
    """The live items of a store at one instant: unit vectors and their metadata (the
    columns of a snapshot: ids, kinds, texts, tags, payloads, answers, created)."""

    vectors: np.ndarray
    meta: dict

    def __len__(self) -> int:
        return len(self.meta["ids"])


def copy_items(store: MemoryStore, attempts: int = 3) -> StoreCopy:
    """A consistent copy of ``store``'s items, read back from a snapshot taken now.

    (The store's atomic snapshot is its one public consistent read of everything;
    a snapshot taken by a concurrent write between ours and the read replaces it,
    hence the retry.)
    """
    for attempt in range(attempts):
        path = store.snapshot()
        match = SNAP_RE.match(os.path.basename(path))
        try:
            vectors, meta = read_snapshot(store.data_dir, int(match.group(1)))
            return StoreCopy(vectors, meta)
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
    raise RuntimeError("unreachable")


def new_store_directory(data_dir: str, store_name: str, model_name: str) -> str:
    """A fresh directory name (relative to DATA) for ``store_name`` encoded by ``model_name``.

    Never one the pointer names, even if missing: a collection removed since the last
    switch leaves its name there, and a store written under it by a switch that crashed
    before its commit would be taken for the committed one."""
    root = os.path.join(data_dir, STORES_DIR)
    os.makedirs(root, exist_ok=True)
    stem = f"{_UNSAFE.sub('_', store_name)}-{_UNSAFE.sub('_', model_name).lstrip('.')}"
    pointer = read_pointer(data_dir)
    taken = set(os.listdir(root)) | {os.path.basename(os.path.normpath(p)) for p in
                                     (pointer.stores.values() if pointer else ()) if p}
    n = 1
    while f"{stem}-{n}" in taken:
        n += 1
    return os.path.join(STORES_DIR, f"{stem}-{n}")


@dataclass
class Startup:
    """Where the service starts: the model directory to load (None: ``--model`` or the
    bundled one), the default store's directory, the other collections' store directories
    a switch wrote (name -> absolute directory; the others are in their own directories),
    and the pointer (None if never switched)."""

    model_path: str | None
    store_dir: str
    pointer: ActivePointer | None
    collection_stores: dict[str, str] = field(default_factory=dict)


def resolve_startup(data_dir: str, configured_model: str | None) -> Startup:
    """Where the model and the stores of ``data_dir`` are (reads only; the pointer is
    read as everyone who opens a data directory reads it: ``resolve_active_model``)."""
    data_dir = os.path.abspath(data_dir)
    active = resolve_active_model(data_dir)
    if active is None:
        return Startup(configured_model, data_dir, None)
    if configured_model and os.path.abspath(configured_model) != active.model_path:
        log.warning("serving %s (activated in %s) rather than --model %s: the memory holds "
                    "that model's vectors", active.name, data_dir, configured_model)
    return Startup(active.model_path, active.store_dir, active.pointer,
                   active.collection_stores)


def remove_leftovers(data_dir: str, startup: Startup) -> None:
    """Remove the stores the pointer does not name for a live collection, and the memory
    files in DATA itself or in a collection's directory when the pointer names another
    store for it. Only the process holding the live stores' locks may call this: a switch
    in progress elsewhere would lose its new stores."""
    pointer = startup.pointer
    named = {os.path.normpath(relative_directory(data_dir, d))
             for d in startup.collection_stores.values()}
    if pointer is not None and pointer.stores.get(DEFAULT_STORE):
        named.add(os.path.normpath(pointer.stores[DEFAULT_STORE]))
    root = os.path.join(data_dir, STORES_DIR)
    if os.path.isdir(root):
        for name in os.listdir(root):
            if os.path.normpath(os.path.join(STORES_DIR, name)) not in named:
                log.info("removing %s/%s: a store no switch committed to", STORES_DIR, name)
                shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    if pointer is not None and pointer.stores.get(DEFAULT_STORE):
        retire_store_directory(data_dir, "")     # a memory in DATA itself, switched away from
    for name in startup.collection_stores:       # and one in a collection's own directory
        retire_store_directory(data_dir, os.path.join(COLLECTIONS_DIR, name))


def load_named(path: str | None, name: str | None = None) -> Any:
    """Load a model directory (None: the bundled one) to be served under ``name``: the
    registry's name for it (a model copied into DATA/models/<name>/ by hand may carry
    another name in its manifest; the service calls it by its directory's)."""
    model = load_model(path)
    if name:
        model.words.name = name
    return model


def load_to_serve(path: str | None, name: str) -> Any:
    """:func:`load_named`, with the unit rows computed now: a model about to replace the
    served one must not make the first request after the switch pay for them."""
    model = load_named(path, name)
    _ = model.words.normed
    return model


def already_served(name: str, served: Any) -> dict | None:
    """The result of activating the model already served (a job that does nothing), or
    None when ``name`` is another model."""
    if name != served.name:
        return None
    return {"switched": False, "model": name, "detail": f"{name} is already the served model"}


def load_served_model(startup: Startup) -> Any:
    """The model a starting service serves: the pointer's (under the name it was activated
    by), else ``--model`` or the bundled one."""
    return load_named(startup.model_path, startup.pointer.model if startup.pointer else None)


def recorded_location(data_dir: str, path: str) -> str:
    """A model directory as the pointer records it: relative to DATA when inside it (so
    a data directory can move), absolute otherwise (the inverse of
    ``active_model.model_location``)."""
    path, data_dir = os.path.abspath(path), os.path.abspath(data_dir)
    inside = os.path.commonpath([path, data_dir]) == data_dir
    return os.path.relpath(path, data_dir) if inside else path


def retire_store_directory(data_dir: str, relative: str) -> None:
    """Remove a store no longer served: its folder under DATA/stores, or, for DATA itself
    (``""``) or a collection's own directory, only the memory files there (snapshots,
    logs, lock), nothing else (the collections, the models, a collection's manifest)."""
    path = os.path.join(data_dir, relative) if relative else data_dir
    if os.path.normpath(relative).split(os.sep)[0] == STORES_DIR:
        shutil.rmtree(path, ignore_errors=True)
        return
    if not os.path.isdir(path):
        return
    for name in os.listdir(path):
        entry = os.path.join(path, name)
        if SNAP_RE.match(name) or (name.startswith("snapshot-") and name.endswith(".tmp")):
            shutil.rmtree(entry, ignore_errors=True)
        elif WAL_RE.match(name) or name == "LOCK":
            os.remove(entry)
