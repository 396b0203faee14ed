"""Event log: training scalars and histograms by step, as JSON lines.

Why JSON lines: the log is appended to while training runs, survives a crash
(every record is one line, flushed as written), and is read back as plain data
by the web page, tests and notebooks without any library. A half-written last
line (the process died mid-write) is ignored on reading; a corrupt line in the
middle is an error naming its line number (``scalar_series``, for displays, skips it).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["EventLog", "read_events", "scalar_series", "histogram_series", "scalars",
           "truncate_events"]


class EventLog:
    """Append scalars and histograms to ``path`` (created with its parent folder).

    >>> log = EventLog("run/events.jsonl")
    >>> log.scalar("loss", 0.7, step=1)
    >>> log.histogram("weights/W", W, step=1)
    >>> log.close()
    """

    def __init__(self, path: str | os.PathLike, bins: int = 30,
                 max_sample: int = 1_000_000) -> None:
        self.path = os.fspath(path)
        self.bins = int(bins)
        self.max_sample = max(1, int(max_sample))
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")

    def _write(self, record: dict[str, Any]) -> None:
        if self._file.closed:
            raise ValueError(f"event log {self.path} is closed")
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()

    def scalar(self, tag: str, value: float, step: int) -> None:
        """Record one number (loss, learning rate, throughput...) at ``step``."""
        value = float(value)
        self._write({"type": "scalar", "tag": str(tag), "step": int(step),
                     "value": value if math.isfinite(value) else str(value),
                     "time": round(time.time(), 3)})

    def histogram(self, tag: str, values: Any, step: int, bins: int | None = None) -> None:
        """Record the distribution of ``values`` (weights, gradients) at ``step``.

        Stored as summary statistics plus bin edges and counts, so a 10M-entry
        matrix costs a few hundred bytes in the log. ``count``, ``min`` and ``max``
        are exact; past ``max_sample`` entries the mean, spread and bin counts come
        from an evenly strided sample (``sampled`` says how many values), so logging
        a 200M-entry subword table stays cheap in time and memory.
        """
        arr = np.asarray(values).ravel()
        if arr.dtype.kind not in "f":
            arr = arr.astype(np.float64)
        record: dict[str, Any] = {"type": "histogram", "tag": str(tag), "step": int(step),
                                  "count": int(arr.size), "time": round(time.time(), 3)}
        stride = max(1, -(-arr.size // self.max_sample))
        sample = arr[::stride].astype(np.float64)
        finite_sample = sample[np.isfinite(sample)]
        if arr.size and np.isfinite(arr.min()) and np.isfinite(arr.max()):
            low, high, nonfinite = float(arr.min()), float(arr.max()), 0
        else:
            finite = arr[np.isfinite(arr)]
            nonfinite = int(arr.size - finite.size)
            low = float(finite.min()) if finite.size else None
            high = float(finite.max()) if finite.size else None
        record["nonfinite"] = nonfinite
        record["sampled"] = int(sample.size)
        if low is not None and finite_sample.size:
            counts, edges = np.histogram(finite_sample, bins=bins or self.bins,
                                         range=(low, high) if high > low else None)
            record.update(min=low, max=high, mean=float(finite_sample.mean()),
                          std=float(finite_sample.std()),
                          edges=[float(e) for e in edges], counts=[int(c) for c in counts])
        else:
            record.update(min=low, max=high, mean=None, std=None, edges=[], counts=[])
        self._write(record)

    def truncate_after(self, step: int, prefix: str = "") -> None:
        """Drop already-written events (tags starting with ``prefix``) with a step beyond
        ``step``; a resumed run calls this."""
        self.close()
        truncate_events(self.path, step, prefix)
        self._file = open(self.path, "a", encoding="utf-8")

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse(path: str, lenient: bool = False) -> Iterable[dict[str, Any]]:
    """The log's records in order; ``lenient`` (for displays) skips the undecodable or
    corrupt lines that are otherwise a ``ValueError`` naming the line."""
    with open(path, encoding="utf-8", errors="replace" if lenient else "strict") as handle:
        lines = handle.read().split("\n")
    # a file that ends without a newline was cut mid-write: its last piece is dropped
    complete, tail = lines[:-1], lines[-1]
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if lenient:
                continue
            raise ValueError(f"{path}:{number}: not a JSON event ({exc.msg})") from None
        if not isinstance(record, dict) or "type" not in record or "tag" not in record \
                or "step" not in record:
            if lenient:
                continue
            raise ValueError(f"{path}:{number}: an event needs 'type', 'tag' and 'step'")
        if record["type"] == "scalar" and isinstance(record.get("value"), str):
            try:
                record["value"] = float(record["value"])  # "nan" / "inf" written as text
            except ValueError:
                if lenient:
                    continue
                raise
        yield record
    del tail


def read_events(path: str | os.PathLike, type: str | None = None,
                tag: str | None = None) -> list[dict[str, Any]]:
    """All events in the log at ``path`` in write order, optionally of one type/tag.

    Each is a dict ``{"type": "scalar"|"histogram", "tag", "step", ...}``: scalars
    carry ``value``; histograms ``count, min, max, mean, std, edges, counts``.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no event log at {path}")
    return [r for r in _parse(path)
            if (type is None or r["type"] == type) and (tag is None or r["tag"] == tag)]


def scalars(path: str | os.PathLike, tag: str) -> tuple[np.ndarray, np.ndarray]:
    """The ``(steps, values)`` of one scalar series, e.g. ``scalars(p, "loss")``."""
    events = read_events(path, type="scalar", tag=tag)
    steps = np.array([e["step"] for e in events], dtype=np.int64)
    values = np.array([e["value"] for e in events], dtype=np.float64)
    return steps, values


def scalar_series(path: str | os.PathLike,
                  max_points: int | None = None) -> dict[str, list[tuple[float, float]]]:
    """Every scalar series in the log, ``{tag: [(step, value), ...]}``, for plotting.

    Lenient where :func:`read_events` is strict, because a live display (the web page's
    training curves) must not fail on a log that is being written or was damaged: a
    missing file gives ``{}``, a corrupt line is skipped, and non-finite values (which
    no plot can draw) are left out. ``max_points`` thins a longer series evenly,
    keeping its last point - a plot has fewer pixels than a long run has steps.
    """
    path = os.fspath(path)
    series: dict[str, list[tuple[float, float]]] = {}
    if not os.path.isfile(path):
        return series
    for record in _parse(path, lenient=True):
        tag, step, value = record["tag"], record["step"], record.get("value")
        if record["type"] == "scalar" and isinstance(tag, str) \
                and isinstance(step, (int, float)) and isinstance(value, (int, float)) \
                and math.isfinite(value):
            series.setdefault(tag, []).append((step, value))
    if max_points is not None:
        for tag, points in series.items():
            if len(points) > max_points:
                stride = len(points) / max_points
                series[tag] = [points[int(i * stride)] for i in range(max_points - 1)] + [points[-1]]
    return series


def histogram_series(path: str | os.PathLike,
                     max_steps: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every histogram series in the log, ``{tag: [{"step", "count", "min", "max", "mean",
    "std", "edges", "counts"}, ...]}`` in step order, for displays (TensorBoard's
    distributions: weights and gradients over training).

    Lenient like :func:`scalar_series`: a missing file gives ``{}``, corrupt lines and
    records without bins are skipped. ``max_steps`` keeps that many histograms of a
    longer series, evenly spaced, the last one always among them.
    """
    path = os.fspath(path)
    series: dict[str, list[dict[str, Any]]] = {}
    if not os.path.isfile(path):
        return series
    keys = ("step", "count", "min", "max", "mean", "std", "edges", "counts")
    for record in _parse(path, lenient=True):
        edges, counts = record.get("edges"), record.get("counts")
        if record["type"] != "histogram" or not isinstance(record["tag"], str) \
                or not isinstance(edges, list) or not isinstance(counts, list) \
                or len(edges) != len(counts) + 1 or not counts:
            continue
        series.setdefault(record["tag"], []).append({k: record.get(k) for k in keys})
    for tag, items in series.items():
        items.sort(key=lambda h: h["step"])
        if max_steps is not None and len(items) > max_steps:
            stride = len(items) / max_steps
            series[tag] = [items[int(i * stride)] for i in range(max_steps - 1)] + [items[-1]]
    return series


def truncate_events(path: str | os.PathLike, after_step: int, prefix: str = "") -> None:
    """Drop events with ``step > after_step`` whose tag starts with ``prefix`` (all by
    default), atomically rewriting the file.

    A resumed run calls this so the log matches the checkpoint it resumed from:
    events written between that checkpoint and a crash would otherwise appear twice.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        return
    kept = [r for r in _parse(path)
            if int(r["step"]) <= after_step or not str(r["tag"]).startswith(prefix)]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        for record in kept:
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
