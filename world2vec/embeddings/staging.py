"""Staged directory writes: build a model directory aside, rename it into place.

Why: model directories are immutable and readers may open one at any moment, so a
directory must appear complete or not at all. Both ``WordVectors.save`` and
``Model.save`` write into a temporary sibling (same filesystem, so the final
``os.rename`` is atomic) and either rename it onto the target or remove it.
Rebuilding the bundled default model, which replaces a directory in use, goes
through ``replace_directory``: the old one stays until the new one is complete.
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
    with _staging_sibling(path) as staging:
        yield staging
        _swap_in(staging, path, replace=False)


@contextmanager
def replace_directory(path: str | os.PathLike) -> Iterator[str]:
    """Like :func:`staged_directory`, but a complete new ``path`` replaces an existing one.

    Why: rebuilding a directory that readers use (the bundled default model) must
    never leave them without one. The old directory stays untouched while the block
    writes the staging directory; only when the block succeeds is the old one renamed
    to a hidden sibling and the new one renamed onto ``path`` (two renames in one
    directory, microseconds apart; a failure of the second puts the old one back), and
    only then is the old one removed. On an exception in the block the staging
    directory is removed and ``path`` is left as it was. A ``path`` that is a file,
    not a directory, is refused (``NotADirectoryError``) before anything is written.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not os.path.isdir(path):
        raise NotADirectoryError(f"{path} exists and is not a directory")
    with _staging_sibling(path) as staging:
        yield staging
        retired = _swap_in(staging, path, replace=True)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


@contextmanager
def _staging_sibling(path: str) -> Iterator[str]:
    """A new hidden directory beside ``path``, removed again if the block raises.

    Beside, so that renaming it onto ``path`` stays on one filesystem and is atomic.
    """
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".stage-" + os.path.basename(path), dir=parent)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: str, path: str, replace: bool) -> str | None:
    """Rename ``staging`` onto ``path``; return where an old ``path`` was moved (or None).

    Without ``replace`` a directory at ``path`` must be empty (``rmdir`` fails
    otherwise, so nothing written there since the caller checked is lost).
    """
    os.chmod(staging, 0o755)  # mkdtemp makes it 0700; models are read by other users too
    parent = os.path.dirname(path)
    retired = None
    if os.path.isdir(path) and not replace:
        os.rmdir(path)
    elif os.path.isdir(path):
        retired = tempfile.mkdtemp(prefix=".old-" + os.path.basename(path), dir=parent)
        try:
            os.rename(path, retired)   # onto the empty directory mkdtemp just made
        except BaseException:
            os.rmdir(retired)
            raise
    try:
        os.rename(staging, path)
    except BaseException:
        if retired is not None:
            os.rename(retired, path)
        raise
    _fsync_directory(parent)  # make the renames themselves survive a crash
    return retired


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
