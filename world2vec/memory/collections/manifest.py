"""Collection names and manifests.

Layout of a data directory::

    DATA/                       the ``default`` collection's store (LOCK, snapshot-*, wal-*),
                                where every earlier version kept the memory, so an old
                                data directory opens as it is, with its items in ``default``
    DATA/collections/<name>/    another collection: manifest.json + its own store files
    DATA/snapshots/<name>.tar   archives of the whole memory (``archive.py``)

``default`` keeps no manifest: it is always bound to the served model, with the model's
dimension, and compares by cosine. Another collection's ``manifest.json`` says what it
was created with: ``{"name", "dim", "metric", "model": "default" | null, "created_at"}``.
It is written once, atomically, before the collection's directory gets its name.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass
from typing import Any

from world2vec.memory.errors import ValidationError, disk_full_as
from world2vec.memory.indexes import METRICS, check_metric
from world2vec.memory.wal import fsync_dir

DEFAULT = "default"
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
MANIFEST = "manifest.json"
COLLECTIONS_DIR = "collections"
SNAPSHOTS_DIR = "snapshots"
MAX_DIM = 65_536
MODELS = (DEFAULT, None)


def invalid(field: str, message: str) -> ValidationError:
    """A ValidationError about one field of a collection's definition (``.field`` names it,
    so the service can say which request field was wrong)."""
    exc = ValidationError(message)
    exc.field = field
    return exc


def check_name(name: Any) -> str:
    """A collection name: ``[a-z0-9][a-z0-9_-]{0,62}`` (safe as a directory and a URL part)."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise invalid("name", f"a collection name must match [a-z0-9][a-z0-9_-]{{0,62}} "
                              f"(lower-case letters, digits, '_' and '-'), got {name!r}")
    return name


@dataclass(frozen=True)
class Manifest:
    """What a collection was created with (see the module docstring)."""

    name: str
    dim: int
    metric: str = "cosine"
    model: str | None = DEFAULT
    created_at: float | None = None

    @classmethod
    def checked(cls, name: Any, dim: Any, metric: Any, model: Any, model_dim: int) -> Manifest:
        """A new collection's manifest from a request's values; ValidationError naming
        the value at fault. A model-bound collection has the model's dimension (``dim``
        may be omitted or must agree); one without a model needs ``dim``."""
        name = check_name(name)
        if metric not in (None, *METRICS):
            raise invalid("metric", f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        metric = metric or "cosine"
        if model not in MODELS:
            raise invalid("model", f"model must be \"default\" (the served model encodes texts) "
                                  f"or null (bring your own vectors), got {model!r}")
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)
                                or not 1 <= dim <= MAX_DIM):
            raise invalid("dim", f"dim must be an integer from 1 to {MAX_DIM}, got {dim!r}")
        if model == DEFAULT:
            if dim is not None and dim != model_dim:
                raise invalid("dim", f"a collection bound to the model has the model's "
                                      f"dimension {model_dim}, not {dim} (give model: null "
                                      f"to bring vectors of your own dimension)")
            dim = model_dim
        elif dim is None:
            raise invalid("dim", "a collection without a model (model: null) needs 'dim'")
        return cls(name, dim, metric, model, time.time())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_manifest(directory: str) -> Manifest:
    with open(os.path.join(directory, MANIFEST), encoding="utf-8") as fh:
        obj = json.load(fh)
    return Manifest(check_name(obj["name"]), int(obj["dim"]), check_metric(obj["metric"]),
                    obj.get("model"), obj.get("created_at"))


def write_manifest(directory: str, manifest: Manifest) -> None:
    """Write ``manifest.json`` atomically (temporary file, fsync, rename)."""
    path = os.path.join(directory, MANIFEST)
    tmp = path + ".tmp"
    with disk_full_as(f"the manifest of collection {manifest.name!r}"):
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(manifest.to_dict(), fh)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        os.replace(tmp, path)
        fsync_dir(directory)
