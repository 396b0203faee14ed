"""Managing the service, written once for both clients: collections, snapshots, taught
relations, models and their background jobs.

Each method builds a :class:`~world2vec_client.calls.Call` and hands it to ``_run`` (see
:mod:`~world2vec_client.memory_ops`). These routes need the write key where the server
has one, except their GETs. Creating (a collection, a snapshot, a training or activation
job) is never resent after a failure that may have reached the server: a second copy
would make a second thing or fail with 409. Deleting and reading are.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any, Generic, TypeVar

from world2vec_client.calls import Call
from world2vec_client.resources import CollectionInfo, Job, Models, Relation, SnapshotInfo
from world2vec_client.wire import quote_segment

T = TypeVar("T")
C = TypeVar("C")


class AdminOps(Generic[C]):
    """Collections, snapshots, relations, models and jobs (``C``: the client's collection
    type). On an ``AsyncClient`` every method but ``collection`` returns an awaitable of
    the result named here."""

    def _run(self, call: Call[T]) -> T:
        raise NotImplementedError

    def collection(self, name: str) -> C:
        raise NotImplementedError

    # -- collections ------------------------------------------------------------------
    def create_collection(self, name: str, dim: int | None = None, metric: str = "cosine",
                          model: str | None = "default") -> C:
        """Create a collection and return it; :class:`Conflict` if it exists.

        ``model="default"`` binds it to the served model (texts are encoded by it, ``dim``
        is the model's); ``model=None`` takes vectors you bring, of any ``dim``. ``metric``
        is ``"cosine"``, ``"dot"`` or ``"l2"``. Names match ``[a-z0-9][a-z0-9_-]{0,62}``.
        """
        body: dict[str, Any] = {"name": name, "metric": metric, "model": model}
        if dim is not None:
            body["dim"] = dim
        return self._run(Call("POST", "/collections", body=body,
                              parse=lambda _: self.collection(name), idempotent=False))

    def collections(self) -> list[CollectionInfo]:
        """Every collection with its dim, metric, model and item count."""
        return self._run(Call("GET", "/collections", parse=lambda out: [
            CollectionInfo.from_json(c) for c in out["collections"]]))

    def collection_info(self, name: str) -> CollectionInfo:
        """One collection's stats, with its ``index`` and ``bytes``; :class:`NotFound` if none."""
        return self._run(Call("GET", f"/collections/{quote_segment(name, 'collection name')}",
                              parse=CollectionInfo.from_json))

    def delete_collection(self, name: str, *, missing_ok: bool = False) -> bool:
        """Remove a collection and all its items. True if removed; an absent one raises
        :class:`NotFound`, or returns False with ``missing_ok=True``."""
        return self._run(Call("DELETE", f"/collections/{quote_segment(name, 'collection name')}",
                              parse=lambda _: True, done_on_retry=frozenset({404}),
                              instead={404: False} if missing_ok else {}))

    # -- snapshots --------------------------------------------------------------------
    def create_snapshot(self) -> SnapshotInfo:
        """A consistent snapshot of the whole memory, kept by the server under its name."""
        return self._run(Call("POST", "/snapshots", body={}, parse=SnapshotInfo.from_json,
                              idempotent=False))

    def snapshots(self) -> list[SnapshotInfo]:
        """The snapshots the server keeps."""
        return self._run(Call("GET", "/snapshots", parse=lambda out: [
            SnapshotInfo.from_json(s) for s in (out["snapshots"] if isinstance(out, dict)
                                                else out)]))

    def download_snapshot(self, name: str, path: str | PathLike[str]) -> Path:
        """Stream a snapshot's tar archive into ``path`` (a file, or a directory to put
        ``<name>`` in) and return the file's path. The file appears only when complete;
        ``world2vec restore --data DIR FILE`` makes a data directory from it."""
        target = Path(path)
        if target.is_dir():
            target = target / name
        return self._run(Call("GET", f"/snapshots/{quote_segment(name, 'snapshot name')}",
                              download_to=target))

    # -- relations --------------------------------------------------------------------
    def teach(self, name: str, pairs: Sequence[Sequence[str]], method: str = "auto",
              replace: bool = False) -> Relation:
        """Teach a relation from example pairs, e.g. ``[("france", "paris"), ...]``; the
        answer says how it was fitted and its leave-one-out top-5 ``accuracy``.

        ``method``: ``"auto"``, ``"offset"``, ``"procrustes"`` or ``"linear"``. An existing
        name is a :class:`Conflict` unless ``replace=True``; fewer than 3 usable pairs, or
        unknown words (named in the error), a :class:`BadRequest`.
        """
        wire = []
        for i, pair in enumerate(pairs):
            if isinstance(pair, str) or len(pair) != 2 or not all(isinstance(w, str) for w in pair):
                raise ValueError(f"pair {i}: expected two words, got {pair!r}")
            wire.append([pair[0], pair[1]])
        body = {"name": name, "pairs": wire, "method": method, "replace": bool(replace)}
        return self._run(Call("POST", "/relations", body=body, parse=Relation.from_json,
                              idempotent=bool(replace)))

    def forget(self, name: str) -> None:
        """Remove a relation a user taught (a model's own is a :class:`Conflict`)."""
        return self._run(Call("DELETE", f"/relations/{quote_segment(name, 'relation name')}",
                              parse=lambda _: None, done_on_retry=frozenset({404})))

    # -- models and jobs --------------------------------------------------------------
    def models(self) -> Models:
        """The model directories the service can serve; ``.active`` names the served one."""
        return self._run(Call("GET", "/models", parse=Models.from_json))

    def train(self, name: str, *, from_model: str | None = None, texts: Sequence[str] | None = None,
              corpus: str | None = None, include_memories: bool | None = None,
              epochs: int | None = None) -> str:
        """Start training model ``name`` from ``from_model`` (the served one by default) on
        new ``texts``, a ``corpus`` file under the data directory and/or the stored
        memories; returns the job id (see :meth:`job`, ``wait``). Training never changes
        the served model: :meth:`activate` does."""
        if isinstance(texts, str):
            raise ValueError("texts must be a list of texts, not one string")
        body: dict[str, Any] = {"name": name}
        for key, value in (("from", from_model), ("corpus", corpus),
                           ("include_memories", include_memories), ("epochs", epochs)):
            if value is not None:
                body[key] = value
        if texts is not None:
            body["texts"] = list(texts)
        return self._run(Call("POST", "/models/train", body=body,
                              parse=lambda out: str(out["job"]), idempotent=False))

    def activate(self, name: str, force: bool = False) -> str:
        """Start serving model ``name`` (collections bound to the model are re-encoded in
        the background, then switched at once); returns the job id. A model that failed
        its evaluation gate is a :class:`Conflict` unless ``force=True``."""
        return self._run(Call("POST", f"/models/{quote_segment(name, 'model name')}/activate",
                              body={"force": bool(force)}, parse=lambda out: str(out["job"]),
                              idempotent=False))

    def job(self, id: str) -> Job:
        """A background job's state, progress and, once done, its result."""
        return self._run(Call("GET", f"/jobs/{quote_segment(str(id), 'job id')}",
                              parse=Job.from_json))
