"""Reading a collection's items from its files, for ``world2vec dump``.

Why not open the store: a serving process holds the data directory's lock, and a dump
should work beside it. The files are enough: the newest snapshot plus the logs after
it (``ops/replay.recover`` with ``truncate=False``: no file is changed, a record being
appended at that moment is simply not there yet). If the server replaces a snapshot
between listing and reading, the read is retried.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from world2vec.memory.collections.manifest import COLLECTIONS_DIR, DEFAULT, check_name, read_manifest
from world2vec.memory.errors import UnknownCollection
from world2vec.memory.ops.replay import Recovered, recover, stored_dim
from world2vec.memory.view import stored_vectors

RETRIES = 5


def collection_files(data_dir: str, name: str,
                     store_dir: str | None = None) -> tuple[str, int | None, str]:
    """``(directory, dim, metric)`` of a collection of ``data_dir`` (dim None: nothing
    stored yet); :class:`UnknownCollection` if there is none. ``store_dir``: where its
    store is, when not in its own directory (a model switch wrote it elsewhere)."""
    if name == DEFAULT:
        path = store_dir or data_dir
        return path, stored_dim(path) if os.path.isdir(path) else None, "cosine"
    path = os.path.join(data_dir, COLLECTIONS_DIR, check_name(name))
    if not os.path.isfile(os.path.join(path, "manifest.json")):
        raise UnknownCollection(name)
    manifest = read_manifest(path)
    if store_dir:
        return store_dir, stored_dim(store_dir), manifest.metric
    return path, manifest.dim, manifest.metric


def _read(path: str, dim: int, metric: str) -> Recovered:
    for attempt in range(RETRIES):
        try:
            return recover(path, dim, metric, truncate=False)
        except FileNotFoundError:     # a snapshot or log replaced meanwhile: read again
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def iter_items(data_dir: str, name: str = DEFAULT,
               store_dir: str | None = None) -> Iterator[dict[str, Any]]:
    """Every item of collection ``name`` as ``world2vec load`` reads it (JSON form, with
    its vector as a list of floats), in storage order (``store_dir``: see
    :func:`collection_files`)."""
    path, dim, metric = collection_files(data_dir, name, store_dir)
    if dim is None:
        return
    state = _read(path, dim, metric)
    table, vectors = state.table, stored_vectors(state.flat)
    for item_id, row in sorted(table.row_of.items(), key=lambda pair: pair[1]):
        yield {"id": item_id, "kind": table.kinds[row], "text": table.texts[row],
               "vector": vectors[row].tolist(), "tags": table.tags[row],
               "payload": table.payloads[row], "answer": table.answers[row],
               "created_at": table.created[row]}
