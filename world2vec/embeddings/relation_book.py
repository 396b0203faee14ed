"""Users' relations, kept on disk beside a model's own: teach, forget, list, refit.

Why the pairs and not the map are the record: a map belongs to one vector space; the
pairs mean the same thing on any model. So each relation is a small JSON file
(``<name>.json``: name, method asked for and used, pairs, accuracy, created_at) and
the map is fitted again from its pairs whenever a book opens or the served model
changes (:meth:`RelationBook.refit`). Files are replaced atomically (temporary file,
fsync, rename, fsync of the directory), so a crash leaves the old relation or the
new, never half of one.

Why a lock and snapshots: the service answers from several threads. Writers (teach,
forget, refit) take one lock in turn; readers take the current snapshot (model and
relations, replaced whole), so a reader never sees a relation fitted on one model
paired with another model.

Where the records live is the book's ``records``: files in a directory
(:class:`RelationFiles`, the default), or anything with the same five methods - the
Milvus backend keeps them in Milvus, so service replicas sharing one Milvus share the
relations too. Records others may change say so through ``version()``: each read
compares it with the snapshot's and fits the relations again when it moved.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from world2vec.embeddings.relation_fitting import (
    ConceptSpace,
    apply_relation,
    fit_relation,
    resolve_relation,
    transform,
)
from world2vec.embeddings.relations import (
    ModelRelationError,
    RelationError,
    RelationExistsError,
    RelationTransform,
    UnknownRelationError,
)

#: A user's relation name is usable in an expression: ``capital_of(france) + ...``.
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
#: Most pairs one relation keeps: fitting and measuring stay well under a second.
MAX_PAIRS = 2000


@dataclass(frozen=True)
class _Snapshot:
    model: ConceptSpace
    relations: dict[str, RelationTransform] = field(default_factory=dict)
    #: stored relations that could not be fitted on this model, with the reason
    unavailable: dict[str, str] = field(default_factory=dict)
    #: ``records.version()`` when the relations were read
    version: Any = None


class RelationFiles:
    """Relation records as ``<name>.json`` files in ``directory`` (created if missing),
    each replaced atomically. Only this process's book changes them (one service
    process per data directory), so their version never moves."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = os.path.abspath(os.fspath(directory))
        os.makedirs(self.directory, exist_ok=True)

    def names(self) -> list[str]:
        return sorted(f[:-5] for f in os.listdir(self.directory)
                      if f.endswith(".json") and NAME_PATTERN.match(f[:-5]))

    def read(self, name: str) -> dict:
        with open(self._path(name), encoding="utf-8") as f:
            return json.load(f)

    def write(self, record: dict) -> None:
        _write_json_atomically(self._path(record["name"]), record)

    def remove(self, name: str) -> None:
        os.remove(self._path(name))
        _fsync_directory(self.directory)

    def version(self) -> Any:
        return None

    def _path(self, name: str) -> str:
        return os.path.join(self.directory, f"{name}.json")


class RelationBook:
    """The user relations of one model, stored in ``directory`` (created if missing),
    or in ``records`` when given (see the module docstring).

    ``model`` is anything with ``words`` and ``relations`` (a loaded ``Model``). Each
    stored relation is fitted on it when the book opens; one that no longer fits
    (its words unknown to this model, or its name now one of the model's own) stays
    on disk and is listed in :attr:`unavailable` instead.
    """

    def __init__(self, directory: str | os.PathLike, model: ConceptSpace,
                 records: Any = None) -> None:
        self.directory = os.path.abspath(os.fspath(directory))
        self.records = RelationFiles(self.directory) if records is None else records
        self._write_lock = threading.Lock()
        self._snapshot = self._fit_all(model)

    # -- reading ---------------------------------------------------------------------
    @property
    def model(self) -> ConceptSpace:
        return self._snapshot.model

    @property
    def unavailable(self) -> dict[str, str]:
        """Stored relations this model cannot fit, name -> reason."""
        return dict(self._current().unavailable)

    def _current(self) -> _Snapshot:
        """The snapshot, fitted again first if the records changed since it was read
        (another service replica taught or forgot a relation)."""
        snap = self._snapshot
        if self.records.version() == snap.version:
            return snap
        with self._write_lock:
            if self.records.version() != self._snapshot.version:
                self._snapshot = self._fit_all(self._snapshot.model)
            return self._snapshot

    def list(self) -> list[dict]:
        """The model's own relations, then the user's, each as ``GET /relations`` lists it:
        ``{"name", "method", "pairs" (a count), "accuracy", "source"}``."""
        snap = self._current()
        own = [snap.model.relations[n].describe() for n in sorted(snap.model.relations)]
        return own + [snap.relations[n].describe() for n in sorted(snap.relations)]

    def get(self, name: str) -> RelationTransform:
        """A relation by name, the model's own first; ``UnknownRelationError`` (a ``KeyError``)."""
        snap = self._current()
        return resolve_relation(snap.model, name, snap.relations)

    def __contains__(self, name: object) -> bool:
        snap = self._current()
        return isinstance(name, str) and (name in snap.model.relations or name in snap.relations)

    def transform(self, name: str, concept: str, k: int = 10) -> list[tuple[str, float]]:
        """``GET /transform``: the ``k`` concepts nearest to ``name(concept)``, input excluded."""
        snap = self._current()
        return transform(snap.model, name, concept, k, snap.relations)

    def apply(self, name: str, vector_or_word: str | np.ndarray) -> np.ndarray:
        """The unit vector ``name(concept)``, any relation of the book (for expressions)."""
        snap = self._current()
        return apply_relation(snap.model, name, vector_or_word, snap.relations)

    # -- writing ---------------------------------------------------------------------
    def teach(self, name: str, pairs: Iterable[Sequence[str]], method: str = "auto",
              replace: bool = False) -> RelationTransform:
        """Fit a relation from word pairs, store it and return it (with its accuracy).

        ``ModelRelationError`` for one of the model's own names, ``RelationExistsError``
        for a user's unless ``replace``; ``UnknownWordsError``, ``TooFewPairsError`` and
        ``ValueError`` (bad name, method or pair) as :func:`fit_relation` raises them.
        """
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise RelationError("relation name must start with a letter and hold only letters, "
                                f"digits and '_' (at most 64): {name!r}")
        if isinstance(pairs, (str, bytes, dict)) or not isinstance(pairs, Iterable):
            raise RelationError("pairs must be a list of [source, target] word pairs")
        pairs = list(pairs)
        if len(pairs) > MAX_PAIRS:
            raise RelationError(f"at most {MAX_PAIRS} pairs per relation, got {len(pairs)}")
        self._current()
        with self._write_lock:
            snap = self._snapshot
            self._check_writable(snap, name, replace)
            fitted = fit_relation(snap.model, name, pairs, method)
            requested = "auto" if method == "auto" else fitted.method
            record = {"name": name, "method": fitted.method, "requested": requested,
                      "pairs": [list(p) for p in fitted.pairs],
                      "accuracy": fitted.accuracy, "created_at": time.time()}
            self.records.write(record)
            relations = {**snap.relations, name: fitted}
            unavailable = {n: r for n, r in snap.unavailable.items() if n != name}
            # the version read before the write: shared records are read again next time
            self._snapshot = _Snapshot(snap.model, relations, unavailable, snap.version)
        return fitted

    def forget(self, name: str) -> None:
        """Delete a user's relation; ``ModelRelationError`` for a model's own,
        ``UnknownRelationError`` (a ``KeyError``) for a name the book does not hold."""
        self._current()
        with self._write_lock:
            snap = self._snapshot
            if name in snap.model.relations:
                raise ModelRelationError(f"{name!r} is one of the model's own relations")
            if name not in snap.relations and name not in snap.unavailable:
                raise UnknownRelationError(name)
            try:
                self.records.remove(name)
            except (FileNotFoundError, KeyError):   # forgotten through another replica
                raise UnknownRelationError(name) from None
            self._snapshot = _Snapshot(
                snap.model, {n: t for n, t in snap.relations.items() if n != name},
                {n: r for n, r in snap.unavailable.items() if n != name}, snap.version)

    def refit(self, model: ConceptSpace) -> dict[str, str]:
        """Fit every stored relation again, from its pairs, on ``model`` (the newly served
        one), then switch to it at once. Returns the relations that could not be fitted
        on it, name -> reason (they stay on disk; see :attr:`unavailable`)."""
        with self._write_lock:
            snap = self._fit_all(model)
            for name, fitted in snap.relations.items():
                record = self.records.read(name)
                if record.get("accuracy") != fitted.accuracy or record.get("method") != fitted.method:
                    record.update(method=fitted.method, accuracy=fitted.accuracy)
                    self.records.write(record)
            self._snapshot = snap
        return dict(snap.unavailable)

    # -- internals -------------------------------------------------------------------
    @staticmethod
    def _check_writable(snap: _Snapshot, name: str, replace: bool) -> None:
        if name in snap.model.relations:
            raise ModelRelationError(f"{name!r} is one of the model's own relations")
        if not replace and (name in snap.relations or name in snap.unavailable):
            raise RelationExistsError(f"relation {name!r} exists (pass replace to overwrite it)")

    def _fit_all(self, model: ConceptSpace) -> _Snapshot:
        relations: dict[str, RelationTransform] = {}
        unavailable: dict[str, str] = {}
        version = self.records.version()      # before reading: a change meanwhile shows next time
        for name in self.records.names():
            if name in model.relations:
                unavailable[name] = "the model has its own relation of this name"
                continue
            try:
                record = self.records.read(name)
                requested = record.get("requested") or record.get("method") or "auto"
                relations[name] = fit_relation(model, name, record["pairs"], requested,
                                               skip_unknown=True)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                unavailable[name] = str(exc)
        return _Snapshot(model, relations, unavailable, version)


def _write_json_atomically(path: str, obj: dict) -> None:
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=1)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # some filesystems cannot open a directory; nothing to sync then
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
