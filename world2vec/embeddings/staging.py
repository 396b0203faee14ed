"""Staged directory writes: build a model directory aside, rename it into place.

Why: model directories are immutable and readers may open one at any moment, so a
directory must appear complete or not at all. Both ``WordVectors.save`` and
``Model.save`` write into a temporary sibling (same filesystem, so the final
``os.rename`` is atomic) and either rename it onto the target or remove it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def staged_directory(path: str | os.PathLike) -> Iterator[str]:
    """Yield an empty staging directory that becomes ``path`` when the block succeeds.

    Refuses (``FileExistsError``, before anything is written) a ``path`` that exists
    and is not an empty directory. The staging directory is a hidden sibling of
    ``path``; on success it is made world-readable (``mkdtemp`` creates it 0700, and
    a model is read by other users too) and renamed onto ``path`` (replacing an
    empty directory there); on any exception it is removed and the error re-raised.
    Callers fsync the files they write; the rename is the commit point, and the
    parent directory is fsync'd after it.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise FileExistsError(f"{path} already exists and is not empty "
                              "(model directories are immutable; choose a new one)")
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".stage-" + os.path.basename(path), dir=parent)
    try:
        yield staging
        os.chmod(staging, 0o755)
        if os.path.isdir(path):
            os.rmdir(path)
        os.rename(staging, path)
        _fsync_directory(parent)  # make the rename itself survive a crash
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _fsync_directory(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # some filesystems do not allow opening a directory; nothing to sync then
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
