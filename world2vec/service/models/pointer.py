"""Writing the durable record of which model is served and which store directories hold
its vectors (the format and reading it: ``world2vec.memory.collections.active_model``,
shared with everyone who opens a data directory).

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

from world2vec.memory.collections.active_model import POINTER_FILE, ActivePointer


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
