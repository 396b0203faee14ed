"""Applying log records to rows: how every write lands, and how a store is rebuilt.

One definition serves both, so what recovery rebuilds is by construction what the
writes had built: a ``put`` record appends rows (an id stored before is killed
first: an upsert), a ``del`` record kills rows. :func:`recover` loads the newest
snapshot and replays the logs from its generation on -- used by ``MemoryStore.open``
(with the directory lock; a torn tail is cut off) and, without any lock and without
changing a file, by readers such as ``world2vec dump`` while a server writes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import faiss
import numpy as np

from world2vec.memory import snapshot as snap
from world2vec.memory.errors import ValidationError
from world2vec.memory.indexes import new_flat
from world2vec.memory.metadata import RowTable
from world2vec.memory.wal import read_log


def apply_put(table: RowTable, flat: faiss.IndexFlat, rows: list[list], matrix: np.ndarray) -> None:
    """Append a put record's rows (``[id, kind, text, tags, payload, answer, created]``)
    and their vectors; an id already stored has its old row killed first."""
    for item_id, kind, text, tags, payload, answer, created in rows:
        table.kill(item_id)
        table.append(item_id, kind, text, tags, payload, answer, created)
    table.flush()
    flat.add(np.ascontiguousarray(matrix))


def apply_record(table: RowTable, flat: faiss.IndexFlat, dim: int, record: dict) -> None:
    if record.get("op") == "put":
        matrix = np.frombuffer(record["vectors"], dtype=np.float32).reshape(-1, dim)
        apply_put(table, flat, record["items"], matrix)
    elif record.get("op") == "del":
        for item_id in record["ids"]:
            table.kill(item_id)


@dataclass
class Recovered:
    """A store's state rebuilt from its files: rows, exact index, the generation the
    next log continues, and a warning per torn log tail dropped."""

    table: RowTable
    flat: faiss.IndexFlat
    gen: int
    warnings: list[str] = field(default_factory=list)


def recover(data_dir: str, dim: int, metric: str = "cosine", truncate: bool = True) -> Recovered:
    """Load the newest snapshot of ``data_dir`` and replay the logs after it.

    ``truncate`` cuts a torn log tail off the file (the writer's open); a reader that
    holds no lock passes False and changes nothing.
    """
    state = Recovered(RowTable(), new_flat(dim, metric), 0)
    gen = snap.latest_snapshot(data_dir)
    if gen is not None:
        vectors, meta = snap.read_snapshot(data_dir, gen)
        if meta["dim"] != dim:
            raise ValidationError(f"{data_dir} holds vectors of dimension {meta['dim']}, "
                                  f"not {dim} (was it written with another model?)")
        stored_metric = meta.get("metric", "cosine")
        if stored_metric != metric:
            raise ValidationError(f"{data_dir} holds a {stored_metric} memory, not {metric}")
        state.table, state.flat = snap.rows_from_snapshot(vectors, meta, dim, metric)
    state.gen = gen or 0
    for wal_gen in snap.wal_generations(data_dir):
        if wal_gen < state.gen:
            continue
        records, warnings = read_log(os.path.join(data_dir, snap.wal_name(wal_gen)), truncate)
        state.warnings.extend(warnings)
        for record in records:
            apply_record(state.table, state.flat, dim, record)
        state.gen = max(state.gen, wal_gen)
    return state


def stored_dim(data_dir: str) -> int | None:
    """The vector dimension a data directory holds, from its snapshot or its first log
    record; None when it holds nothing yet."""
    gen = snap.latest_snapshot(data_dir)
    if gen is not None:
        return int(snap.read_snapshot(data_dir, gen)[1]["dim"])
    for wal_gen in snap.wal_generations(data_dir):
        records, _ = read_log(os.path.join(data_dir, snap.wal_name(wal_gen)), truncate=False)
        for record in records:
            if record.get("op") == "put" and record["items"]:
                return len(record["vectors"]) // 4 // len(record["items"])
    return None
