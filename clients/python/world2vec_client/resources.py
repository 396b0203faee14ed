"""Typed results of the admin routes: collections, snapshots, relations, models, jobs.

Like :mod:`world2vec_client.models`, every type keeps the fields it does not name in
``extra``, so a newer server's additions reach the caller instead of vanishing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from world2vec_client.errors import JobFailed, JobTimeout
from world2vec_client.models import unknown_fields


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass
class CollectionInfo:
    """A collection: its name, vector dimension, metric and model (None: vectors brought by
    the caller), item count; ``index`` and ``bytes`` when asked for one collection's stats."""

    name: str
    dim: int | None
    metric: str
    model: str | None
    items: int
    index: Any = None
    bytes: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> CollectionInfo:
        return cls(name=str(obj["name"]), dim=_int(obj.get("dim")),
                   metric=str(obj.get("metric") or "cosine"), model=obj.get("model"),
                   items=int(obj.get("items") or 0), index=obj.get("index"),
                   bytes=_int(obj.get("bytes")),
                   extra=unknown_fields(obj, ("name", "dim", "metric", "model", "items", "index",
                                              "bytes")))


@dataclass
class SnapshotInfo:
    """A consistent snapshot of the whole memory, downloadable as a tar archive by name."""

    name: str
    bytes: int | None = None
    items: int | None = None
    created_at: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> SnapshotInfo:
        return cls(name=str(obj["name"]), bytes=_int(obj.get("bytes")), items=_int(obj.get("items")),
                   created_at=obj.get("created_at"),
                   extra=unknown_fields(obj, ("name", "bytes", "items", "created_at")))


@dataclass
class Relation:
    """A learned transform of the concept space (``capital``, ``plural``, or one taught
    from example pairs): how it was fitted, from how many pairs, its leave-one-out top-5
    ``accuracy``, and whether it is the model's own or a user's (``source``)."""

    name: str
    method: str | None = None
    pairs: Any = None
    accuracy: float | None = None
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Relation:
        accuracy = obj.get("accuracy")
        return cls(name=str(obj["name"]), method=obj.get("method"), pairs=obj.get("pairs"),
                   accuracy=None if accuracy is None else float(accuracy), source=obj.get("source"),
                   extra=unknown_fields(obj, ("name", "method", "pairs", "accuracy", "source")))


@dataclass
class ModelInfo:
    """A model directory the service can serve (``active``: the one it serves now)."""

    name: str
    dim: int | None = None
    words: int | None = None
    created_at: Any = None
    active: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ModelInfo:
        return cls(name=str(obj["name"]), dim=_int(obj.get("dim")), words=_int(obj.get("words")),
                   created_at=obj.get("created_at"), active=bool(obj.get("active")),
                   extra=unknown_fields(obj, ("name", "dim", "words", "created_at", "active")))


class Models(list):
    """A list of :class:`ModelInfo` that also says which model is served (``active``)."""

    def __init__(self, models: Iterable[ModelInfo] = (), active: str | None = None) -> None:
        super().__init__(models)
        self.active = active

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Models:
        return cls((ModelInfo.from_json(m) for m in obj.get("models") or []), obj.get("active"))


@dataclass
class Job:
    """A background job (training, activation): ``state`` is one of queued, running, done,
    failed; ``progress`` runs 0..1; ``result`` holds what it produced (a training job's
    evaluation gate: ``result["gate"]["passed"]``)."""

    id: str
    kind: str | None = None
    state: str = "queued"
    progress: float = 0.0
    detail: Any = None
    result: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Job:
        return cls(id=str(obj["id"]), kind=obj.get("kind"), state=str(obj.get("state") or "queued"),
                   progress=float(obj.get("progress") or 0.0), detail=obj.get("detail"),
                   result=obj.get("result"),
                   extra=unknown_fields(obj, ("id", "kind", "state", "progress", "detail", "result")))


def job_settled(job: Job, out_of_time: bool) -> bool:
    """What ``wait`` makes of a job it polled: True once it is done, JobFailed when it
    failed, JobTimeout when it is still going and the caller's time is up, else False."""
    if job.failed:
        raise JobFailed(f"job {job.id} ({job.kind or 'job'}) failed: {job.detail}", job=job)
    if job.finished:
        return True
    if out_of_time:
        raise JobTimeout(f"job {job.id} ({job.kind or 'job'}) is still {job.state} "
                         f"({job.progress:.0%}); it goes on, wait again later", job=job)
    return False
