"""Atomic snapshots of the whole store: a numpy array of vectors plus msgpack metadata.

A snapshot is a directory ``snapshot-<gen>`` holding ``vectors.npy`` (live rows,
float32, unit) and ``meta.msgpack`` (ids, kinds, texts, tags, payloads, answers,
created_at, settings). It is written as ``snapshot-<gen>.tmp``, every file fsync'd,
then renamed into place and the parent directory fsync'd: a crash leaves either
the old snapshot or the new one, never half of one. ``<gen>`` is also the number
of the log that continues it (``wal-<gen>.log``), so recovery is "load the newest
snapshot, replay logs from its generation on". No pickle anywhere: the files are
readable by any numpy + msgpack program.
"""

from __future__ import annotations

import os
import re
import shutil
from typing import Any

import faiss
import msgpack
import numpy as np

from world2vec.memory.errors import disk_full_as
from world2vec.memory.indexes import new_flat
from world2vec.memory.metadata import RowTable
from world2vec.memory.wal import fsync_dir

FORMAT = 1
SNAP_RE = re.compile(r"^snapshot-(\d{8})$")
WAL_RE = re.compile(r"^wal-(\d{8})\.log$")


def snapshot_name(gen: int) -> str:
    return f"snapshot-{gen:08d}"


def wal_name(gen: int) -> str:
    return f"wal-{gen:08d}.log"


def latest_snapshot(data_dir: str) -> int | None:
    gens = [int(m.group(1)) for m in map(SNAP_RE.match, os.listdir(data_dir)) if m]
    return max(gens) if gens else None


def wal_generations(data_dir: str) -> list[int]:
    return sorted(int(m.group(1)) for m in map(WAL_RE.match, os.listdir(data_dir)) if m)


def _write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_snapshot(data_dir: str, gen: int, vectors: np.ndarray, meta: dict[str, Any]) -> str:
    """Write snapshot ``gen`` atomically and return its path."""
    tmp = write_snapshot_aside(data_dir, gen, vectors, meta)
    return publish_snapshot(data_dir, gen, tmp)


def write_snapshot_aside(data_dir: str, gen: int, vectors: np.ndarray,
                         meta: dict[str, Any]) -> str:
    """Write snapshot ``gen`` under its temporary name, every file fsync'd; returns that
    path. A full disk removes the partial directory and raises InsufficientStorage."""
    tmp = os.path.join(data_dir, snapshot_name(gen)) + ".tmp"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    try:
        with disk_full_as(f"a snapshot of {data_dir}"):
            os.makedirs(tmp)
            with open(os.path.join(tmp, "vectors.npy"), "wb") as fh:
                np.save(fh, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
                fh.flush()
                os.fsync(fh.fileno())
            body = dict(meta, format=FORMAT, gen=gen)
            _write_file(os.path.join(tmp, "meta.msgpack"), msgpack.packb(body, use_bin_type=True))
            fsync_dir(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def publish_snapshot(data_dir: str, gen: int, tmp: str) -> str:
    """Rename a snapshot written aside into place (the atomic step) and return its path."""
    final = os.path.join(data_dir, snapshot_name(gen))
    os.rename(tmp, final)
    fsync_dir(data_dir)
    return final


def read_snapshot(data_dir: str, gen: int) -> tuple[np.ndarray, dict[str, Any]]:
    path = os.path.join(data_dir, snapshot_name(gen))
    vectors = np.load(os.path.join(path, "vectors.npy"), allow_pickle=False)
    with open(os.path.join(path, "meta.msgpack"), "rb") as fh:
        meta = msgpack.unpackb(fh.read(), raw=False, strict_map_key=False)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: unknown snapshot format {meta.get('format')!r}")
    return vectors, meta


def snapshot_meta(table: RowTable, rows: list[int], dim: int, index: dict[str, Any],
                  metric: str = "cosine") -> dict[str, Any]:
    """The metadata of a snapshot of ``rows`` of ``table``, in that order."""
    return {"dim": dim, "count": len(rows), "index": index, "metric": metric,
            "ids": [table.ids[r] for r in rows], "kinds": [table.kinds[r] for r in rows],
            "texts": [table.texts[r] for r in rows], "tags": [table.tags[r] for r in rows],
            "payloads": [table.payloads[r] for r in rows],
            "answers": [table.answers[r] for r in rows],
            "created": [table.created[r] for r in rows]}


def rows_from_snapshot(vectors: np.ndarray, meta: dict[str, Any], dim: int,
                       metric: str = "cosine") -> tuple[RowTable, faiss.IndexFlat]:
    """A row table and exact index holding a snapshot's items, one row each in its
    order (also how a compaction renumbers rows: from the snapshot it just wrote)."""
    table = RowTable()
    for i, item_id in enumerate(meta["ids"]):
        table.append(item_id, meta["kinds"][i], meta["texts"][i], meta["tags"][i],
                     meta["payloads"][i], meta["answers"][i], meta["created"][i])
    table.flush()
    flat = new_flat(dim, metric)
    if len(vectors):
        flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return table, flat


def remove_older(data_dir: str, gen: int) -> None:
    """Delete snapshots and logs older than ``gen`` and leftover temporaries."""
    for name in os.listdir(data_dir):
        path = os.path.join(data_dir, name)
        snap, wal = SNAP_RE.match(name), WAL_RE.match(name)
        if snap and int(snap.group(1)) < gen or name.endswith(".tmp") and name.startswith("snapshot-"):
            shutil.rmtree(path, ignore_errors=True)
        elif wal and int(wal.group(1)) < gen:
            os.remove(path)
    fsync_dir(data_dir)
