"""The durable record of which model is served and which store directories hold its vectors.

Why a pointer file: a switch writes a complete new store beside the live one, and the
moment the service is "on the new model" must be one atomic step on disk, so that a
crash at any instant restarts on the old pair or on the new, never on a mix.
``DATA/active-model.json`` is that step: written to a temporary file, fsync'd, renamed
over the old one and the directory fsync'd (a rename within one directory is atomic
on POSIX filesystems). A data directory that never switched has no pointer: the model
comes from ``--model`` (or the bundled one) and the memory lives in ``DATA`` itself,
as it always has.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field

POINTER_FILE = "active-model.json"
STORES_DIR = "stores"       # DATA/stores/<store>-<model>-<n>/: stores written by switches
FORMAT = 1


@dataclass
class ActivePointer:
    """What the pointer says: the served ``model`` (name and directory), the directory of
    each bound store relative to DATA (``""``: DATA itself), and the model served before
    (so a rollback target is known after a restart)."""

    model: str
    model_path: str
    stores: dict[str, str] = field(default_factory=dict)
    previous: dict[str, str] | None = None
    switched_at: float | None = None

    def to_json(self) -> dict:
        return {"format": FORMAT, "model": self.model, "model_path": self.model_path,
                "stores": dict(self.stores), "previous": self.previous,
                "switched_at": self.switched_at}

    @classmethod
    def from_json(cls, obj: dict) -> ActivePointer:
        if not isinstance(obj, dict) or obj.get("format") != FORMAT or \
                not isinstance(obj.get("model"), str) or not isinstance(obj.get("stores"), dict):
            raise ValueError("not a world2vec active-model pointer")
        return cls(obj["model"], str(obj.get("model_path") or ""), dict(obj["stores"]),
                   obj.get("previous"), obj.get("switched_at"))


def read_pointer(data_dir: str) -> ActivePointer | None:
    """The pointer of ``data_dir``, or None if it never switched. A pointer that cannot be
    read is an error (``ValueError``): guessing would risk serving a mix."""
    path = os.path.join(data_dir, POINTER_FILE)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            return ActivePointer.from_json(json.load(fh))
    except (OSError, json.JSONDecodeError, ValueError) as exc:
        raise ValueError(f"{path} cannot be read ({exc}); it names the served model and "
                         "its memory, so the service will not guess") from None


def write_pointer(data_dir: str, pointer: ActivePointer) -> None:
    """Replace the pointer atomically and durably (temp file, fsync, rename, fsync dir)."""
    os.makedirs(data_dir, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".active-model-", suffix=".json", dir=data_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(pointer.to_json(), fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, os.path.join(data_dir, POINTER_FILE))
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    fsync_directory(data_dir)


def fsync_directory(path: str) -> None:
    """Make renames in ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
