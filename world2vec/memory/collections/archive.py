"""Archives of the whole memory: a consistent tar of every collection, taken while writes
go on, listed and restored into a new data directory.

Taking one: for each collection in turn, :meth:`MemoryStore.export` copies the live
items under the store's locks (writes wait for a memory copy, never for the disk), and
the copy is written into the tar as that collection's one snapshot, next to its
manifest, in the data directory's own layout. So an archive is a data directory with
no logs: ``restore`` extracts it, and opening it loads each snapshot. Each collection
is consistent as of its copy; the archive is written under a hidden name and renamed
into place, with ``<name>.json`` beside it saying what it holds.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tarfile
import time
import uuid
from typing import Any

import msgpack
import numpy as np

from world2vec.memory import snapshot as snap
from world2vec.memory.collections.manager import Collections
from world2vec.memory.collections.manifest import COLLECTIONS_DIR, DEFAULT, MANIFEST, SNAPSHOTS_DIR
from world2vec.memory.errors import StoreClosed, ValidationError, disk_full_as
from world2vec.memory.wal import fsync_dir

ARCHIVE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.tar")
INFO_MEMBER = "SNAPSHOT.json"
FORMAT = 1


class _Chunks(io.RawIOBase):
    """A read-only stream over byte chunks (an .npy header, then the array's own buffer),
    so a collection's vectors go into the tar without a second copy."""

    def __init__(self, *chunks: bytes | memoryview) -> None:
        # an empty array's view has a zero in its shape and cannot be cast: it adds no bytes
        views = [memoryview(c) for c in chunks]
        self._chunks = [v.cast("B") for v in views if v.nbytes]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._chunks and not len(self._chunks[0]):
            self._chunks.pop(0)
        if not self._chunks:
            return 0
        head = self._chunks[0]
        n = min(len(buffer), len(head))
        buffer[:n] = head[:n]
        self._chunks[0] = head[n:]
        return n


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o644
    tar.addfile(info, io.BytesIO(data))


def _add_vectors(tar: tarfile.TarFile, name: str, vectors: np.ndarray, mtime: float) -> None:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(vectors))
    info = tarfile.TarInfo(name)
    info.size = header.tell() + vectors.nbytes
    info.mtime, info.mode = int(mtime), 0o644
    tar.addfile(info, io.BufferedReader(_Chunks(header.getvalue(), vectors.data)))


def _add_collection(tar: tarfile.TarFile, prefix: str, store: Any, manifest: dict | None,
                    mtime: float) -> int | None:
    try:
        vectors, meta = store.export()
    except StoreClosed:          # removed since the archive began: not part of it
        return None
    snapshot_dir = f"{prefix}{snap.snapshot_name(1)}"
    _add_vectors(tar, f"{snapshot_dir}/vectors.npy", vectors, mtime)
    body = dict(meta, format=snap.FORMAT, gen=1)
    _add_bytes(tar, f"{snapshot_dir}/meta.msgpack", msgpack.packb(body, use_bin_type=True), mtime)
    if manifest is not None:
        _add_bytes(tar, f"{prefix}{MANIFEST}", json.dumps(manifest).encode(), mtime)
    return int(meta["count"])


def create_archive(collections: Collections) -> dict[str, Any]:
    """Write an archive of every collection into ``DATA/snapshots/``; returns
    ``{"name", "bytes", "items", "created_at", "collections": {name: items}}``.
    A full disk raises :class:`InsufficientStorage` and leaves nothing behind."""
    out_dir = os.path.join(collections.data_dir, SNAPSHOTS_DIR)
    created = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(created))
    name = f"world2vec-{stamp}-{uuid.uuid4().hex[:6]}.tar"
    tmp = os.path.join(out_dir, f".{name}.tmp")
    counts: dict[str, int] = {}
    try:
        with disk_full_as(f"the snapshot archive {name}"):
            os.makedirs(out_dir, exist_ok=True)
            with open(tmp, "wb") as fh:
                with tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    for collection in collections:
                        is_default = collection.name == DEFAULT
                        prefix = "" if is_default else f"{COLLECTIONS_DIR}/{collection.name}/"
                        count = _add_collection(
                            tar, prefix, collection.store,
                            None if is_default else collection.manifest.to_dict(), created)
                        if count is not None:
                            counts[collection.name] = count
                    info = {"format": FORMAT, "name": name, "created_at": created,
                            "items": sum(counts.values()), "collections": counts}
                    _add_bytes(tar, INFO_MEMBER, json.dumps(info).encode(), created)
                fh.flush()
                os.fsync(fh.fileno())
            final = os.path.join(out_dir, name)
            info["bytes"] = os.path.getsize(tmp)
            _write_json(os.path.join(out_dir, name[:-4] + ".json"), info)
            os.rename(tmp, final)
            fsync_dir(out_dir)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return _public(info)


def _write_json(path: str, obj: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _public(info: dict) -> dict[str, Any]:
    return {key: info.get(key) for key in ("name", "bytes", "items", "created_at", "collections")}


def list_archives(data_dir: str) -> list[dict[str, Any]]:
    """The archives under ``DATA/snapshots/``, oldest first."""
    out_dir = os.path.join(data_dir, SNAPSHOTS_DIR)
    if not os.path.isdir(out_dir):
        return []
    found = []
    for entry in os.listdir(out_dir):
        if not ARCHIVE_RE.fullmatch(entry):
            continue
        info: dict[str, Any] = {"name": entry}
        try:
            with open(os.path.join(out_dir, entry[:-4] + ".json"), encoding="utf-8") as fh:
                info.update(json.load(fh))
            info["bytes"] = os.path.getsize(os.path.join(out_dir, entry))
        except (OSError, ValueError):   # no sidecar (copied in by hand): name and size only
            info.setdefault("bytes", os.path.getsize(os.path.join(out_dir, entry)))
        found.append(_public(info))
    return sorted(found, key=lambda i: (i.get("created_at") or 0, i["name"]))


def archive_path(data_dir: str, name: str) -> str:
    """The file of archive ``name``; ValidationError for a name that is not one (no path
    can be smuggled in), FileNotFoundError if there is none."""
    if not isinstance(name, str) or not ARCHIVE_RE.fullmatch(name):
        raise ValidationError(f"not a snapshot name: {name!r}")
    path = os.path.join(data_dir, SNAPSHOTS_DIR, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    return path


_MEMBER_RE = re.compile(
    rf"(({COLLECTIONS_DIR}/[a-z0-9][a-z0-9_-]{{0,62}}/)?(snapshot-\d{{8}}(/(vectors\.npy|meta\.msgpack))?"
    rf"|{MANIFEST})|{COLLECTIONS_DIR}(/[a-z0-9][a-z0-9_-]{{0,62}})?|{INFO_MEMBER})")


def restore_archive(archive: str, data_dir: str) -> dict[str, Any]:
    """Make the new data directory ``data_dir`` from an archive; returns its info.

    Refuses a ``data_dir`` that exists and is not empty, and an archive holding anything
    but the files an archive holds (so no path outside ``data_dir`` can be written). It
    is extracted beside ``data_dir`` and renamed into place: all or nothing.
    """
    target = os.path.abspath(data_dir)
    if os.path.exists(target) and (not os.path.isdir(target) or os.listdir(target)):
        raise ValidationError(f"{data_dir} exists and is not empty; restore makes a new data "
                              f"directory")
    try:
        tar = tarfile.open(archive, "r:")
    except (OSError, tarfile.TarError) as exc:
        raise ValidationError(f"{archive} is not a world2vec snapshot archive: {exc}") from None
    staging = f"{target}.restoring-{uuid.uuid4().hex[:8]}"
    with tar:
        members = tar.getmembers()
        for member in members:
            if not (member.isfile() or member.isdir()) or not _MEMBER_RE.fullmatch(member.name):
                raise ValidationError(f"{archive}: unexpected entry {member.name!r}; not a "
                                      f"world2vec snapshot archive")
        if INFO_MEMBER not in {m.name for m in members}:
            raise ValidationError(f"{archive}: no {INFO_MEMBER}; not a world2vec snapshot archive")
        info = json.load(tar.extractfile(INFO_MEMBER))
        try:
            # The names and kinds were checked above; the "data" filter (Python 3.10.12+,
            # 3.11.4+) also drops modes and owners that a hand-made tar might carry.
            safety = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(staging, members=[m for m in members if m.name != INFO_MEMBER],
                           **safety)
            if os.path.isdir(target):
                os.rmdir(target)
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return _public(info)
