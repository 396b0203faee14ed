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


class RelationBook:
    """The user relations of one model, stored in ``directory`` (created if missing).

    ``model`` is anything with ``words`` and ``relations`` (a loaded ``Model``). Each
    stored relation is fitted on it when the book opens; one that no longer fits
    (its words unknown to this model, or its name now one of the model's own) stays
    on disk and is listed in :attr:`unavailable` instead.
    """

    def __init__(self, directory: str | os.PathLike, model: ConceptSpace) -> None:
        self.directory = os.path.abspath(os.fspath(directory))
        os.makedirs(self.directory, exist_ok=True)
        self._write_lock = threading.Lock()
        self._snapshot = self._fit_all(model)

    # -- reading ---------------------------------------------------------------------
    @property
    def model(self) -> ConceptSpace:
        return self._snapshot.model

    @property
    def unavailable(self) -> dict[str, str]:
        """Stored relations this model cannot fit, name -> reason."""
        return dict(self._snapshot.unavailable)

    def list(self) -> list[dict]:
        """The model's own relations, then the user's, each as ``GET /relations`` lists it:
        ``{"name", "method", "pairs" (a count), "accuracy", "source"}``."""
        snap = self._snapshot
        own = [snap.model.relations[n].describe() for n in sorted(snap.model.relations)]
        return own + [snap.relations[n].describe() for n in sorted(snap.relations)]

    def get(self, name: str) -> RelationTransform:
        """A relation by name, the model's own first; ``UnknownRelationError`` (a ``KeyError``)."""
        snap = self._snapshot
        return resolve_relation(snap.model, name, snap.relations)

    def __contains__(self, name: object) -> bool:
        snap = self._snapshot
        return isinstance(name, str) and (name in snap.model.relations or name in snap.relations)

    def transform(self, name: str, concept: str, k: int = 10) -> list[tuple[str, float]]:
        """``GET /transform``: the ``k`` concepts nearest to ``name(concept)``, input excluded."""
        snap = self._snapshot
        return transform(snap.model, name, concept, k, snap.relations)

    def apply(self, name: str, vector_or_word: str | np.ndarray) -> np.ndarray:
        """The unit vector ``name(concept)``, any relation of the book (for expressions)."""
        snap = self._snapshot
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
        with self._write_lock:
            snap = self._snapshot
            self._check_writable(snap, name, replace)
            fitted = fit_relation(snap.model, name, pairs, method)
            requested = "auto" if method == "auto" else fitted.method
            record = {"name": name, "method": fitted.method, "requested": requested,
                      "pairs": [list(p) for p in fitted.pairs],
                      "accuracy": fitted.accuracy, "created_at": time.time()}
            _write_json_atomically(self._path(name), record)
            relations = {**snap.relations, name: fitted}
            unavailable = {n: r for n, r in snap.unavailable.items() if n != name}
            self._snapshot = _Snapshot(snap.model, relations, unavailable)
        return fitted

    def forget(self, name: str) -> None:
        """Delete a user's relation; ``ModelRelationError`` for a model's own,
        ``UnknownRelationError`` (a ``KeyError``) for a name the book does not hold."""
        with self._write_lock:
            snap = self._snapshot
            if name in snap.model.relations:
                raise ModelRelationError(f"{name!r} is one of the model's own relations")
            if name not in snap.relations and name not in snap.unavailable:
                raise UnknownRelationError(name)
            os.remove(self._path(name))
            _fsync_directory(self.directory)
            self._snapshot = _Snapshot(
                snap.model, {n: t for n, t in snap.relations.items() if n != name},
                {n: r for n, r in snap.unavailable.items() if n != name})

    def refit(self, model: ConceptSpace) -> dict[str, str]:
        """Fit every stored relation again, from its pairs, on ``model`` (the newly served
        one), then switch to it at once. Returns the relations that could not be fitted
        on it, name -> reason (they stay on disk; see :attr:`unavailable`)."""
        with self._write_lock:
            snap = self._fit_all(model)
            for name, fitted in snap.relations.items():
                record = self._read(name)
                if record.get("accuracy") != fitted.accuracy or record.get("method") != fitted.method:
                    record.update(method=fitted.method, accuracy=fitted.accuracy)
                    _write_json_atomically(self._path(name), record)
            self._snapshot = snap
        return dict(snap.unavailable)

    # -- internals -------------------------------------------------------------------
    def _path(self, name: str) -> str:
        return os.path.join(self.directory, f"{name}.json")

    def _read(self, name: str) -> dict:
        with open(self._path(name), encoding="utf-8") as f:
            return json.load(f)

    def _stored_names(self) -> list[str]:
        return sorted(f[:-5] for f in os.listdir(self.directory)
                      if f.endswith(".json") and NAME_PATTERN.match(f[:-5]))

    @staticmethod
    def _check_writable(snap: _Snapshot, name: str, replace: bool) -> None:
        if name in snap.model.relations:
            raise ModelRelationError(f"{name!r} is one of the model's own relations")
        if not replace and (name in snap.relations or name in snap.unavailable):
            raise RelationExistsError(f"relation {name!r} exists (pass replace to overwrite it)")

    def _fit_all(self, model: ConceptSpace) -> _Snapshot:
        relations: dict[str, RelationTransform] = {}
        unavailable: dict[str, str] = {}
        for name in self._stored_names():
            if name in model.relations:
                unavailable[name] = "the model has its own relation of this name"
                continue
            try:
                record = self._read(name)
                requested = record.get("requested") or record.get("method") or "auto"
                relations[name] = fit_relation(model, name, record["pairs"], requested,
                                               skip_unknown=True)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                unavailable[name] = str(exc)
        return _Snapshot(model, relations, unavailable)


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
