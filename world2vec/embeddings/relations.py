"""Relation transforms: a map of the concept space learned from example pairs (country -> capital).

Why these three maps: Mikolov et al. (2013) showed that relations between word
vectors are close to linear, so each method is a closed-form fit on unit vectors:

* ``offset``: ``apply(x) = unit(x + mean(t - s))``, one shared difference vector:
  one ``dim``-vector to estimate, so it generalises from a handful of pairs.
* ``procrustes``: the orthogonal map nearest to the pairs (keeps distances); with
  fewer pairs than dimensions, the one that leaves the rest of the space alone
  (:func:`nearest_rotation`).
* ``linear``: ridge-regularised least squares, free to scale and shear; the most
  expressive and the most pair-hungry. Model files written before this name existed
  say ``lstsq``; it is read as ``linear``.

Inputs and outputs are unit vectors; the mapped vector is normalized again and its
nearest concept is the answer. Which method suits a relation is measured, not
assumed: fitting from *words* (resolving them, leave-one-out accuracy, choosing a
method) lives in ``relation_fitting``; the typed errors that the service turns into
status codes live here so every relation module shares them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence

import numpy as np

from world2vec.embeddings.words.vectors import WordVectors
from world2vec.engine import linalg

#: Fitting methods, simplest first (``auto`` breaks ties toward the front).
METHODS = ("offset", "procrustes", "linear")
#: Older spellings of a method, still read from model files and accepted from callers.
METHOD_ALIASES = {"lstsq": "linear"}
#: Pull toward the identity that makes a Procrustes fit from few pairs unique.
TIE_BREAK = 1e-6
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class RelationError(ValueError):
    """A relation request that cannot be honoured (the service answers 400 unless a subclass says)."""


class UnknownWordsError(RelationError):
    """Pair words the model has no concept for, all of them named (``words``)."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = list(words)
        super().__init__("unknown words: " + ", ".join(self.words))


class TooFewPairsError(RelationError):
    """Fewer usable (distinct) pairs than a relation needs to be fitted and measured."""

    def __init__(self, usable: int, needed: int) -> None:
        self.usable, self.needed = usable, needed
        super().__init__(f"need at least {needed} usable pairs, got {usable}")


class RelationExistsError(RelationError):
    """A user relation of that name exists and the request did not ask to replace it."""


class ModelRelationError(RelationError):
    """The name belongs to one of the model's own relations, which users cannot change."""


class UnknownRelationError(KeyError):
    """No relation of that name (the model's own or a user's)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)

    def __str__(self) -> str:
        return f"unknown relation {self.name!r}"


def canonical_method(method: str) -> str:
    """``method`` with old spellings folded in; ``ValueError`` for anything else."""
    method = METHOD_ALIASES.get(method, method) if isinstance(method, str) else method
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return method


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` (1-D becomes one row) scaled to unit length, in float64: the SVD and
    the solve of the fits want the precision."""
    return linalg.unit_rows(np.atleast_2d(x), dtype=np.float64)


def fit_map(method: str, sources: np.ndarray, targets: np.ndarray,
            ridge: float = 1e-2) -> np.ndarray:
    """The parameters of ``method`` from row-aligned unit vectors: a ``(dim,)`` offset
    or a ``(dim, dim)`` matrix (the form :class:`RelationTransform` stores)."""
    method = canonical_method(method)
    x, y = unit_rows(sources), unit_rows(targets)
    if method == "offset":
        return (y - x).mean(axis=0)
    if method == "procrustes":
        basis = pair_span(x, y)
        rotation = nearest_rotation((x @ basis).T @ (y @ basis))
        return basis @ (rotation - np.eye(basis.shape[1])) @ basis.T + np.eye(x.shape[1])
    return np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ y)


def top_k_hits(words: WordVectors, mapped: np.ndarray, sources: np.ndarray,
               targets: np.ndarray, k: int, block: int = 256) -> np.ndarray:
    """Whether each target row index is among the ``k`` concepts nearest to its mapped
    vector over the whole vocabulary, its source row excluded (a target equal to its
    source is a miss). Vectorized in blocks of rows, so memory stays ``block x words``."""
    matrix = words.normed
    mapped = unit_rows(mapped).astype(np.float32)
    hits = np.zeros(len(mapped), dtype=bool)
    for start in range(0, len(mapped), block):
        rows = slice(start, start + block)
        scores = mapped[rows] @ matrix.T
        idx = np.arange(scores.shape[0])
        src, tgt = sources[rows], targets[rows]
        scores[idx, src] = -np.inf
        target_score = scores[idx, tgt]
        better = (scores > target_score[:, None]).sum(axis=1)
        hits[rows] = (better < k) & (src != tgt)
    return hits


def nearest_rotation(cross: np.ndarray) -> np.ndarray:
    """The orthogonal ``W`` maximizing ``trace(W^T cross)`` (Procrustes: ``cross = X^T Y``);
    ``cross`` may be a stack ``(b, dim, dim)``.

    Why ``+ TIE_BREAK * I``: with fewer pairs than dimensions ``X^T Y`` is singular and
    every rotation that agrees on the pairs' span fits them equally well; a plain SVD
    then picks one by rounding noise, so an unseen word is turned in an arbitrary
    direction (and refitting on the same pairs need not give the same map). The tiny
    pull toward the identity picks, among those equal fits, the one that moves the
    rest of the space least, and makes the answer unique. Measured on the bundled
    model, 18 country -> language pairs, leave-one-out top-5: 4/18 plain (and it moves
    with rounding noise), 15/18 with it (``bench/bench_relations.py``).
    """
    u, _, vt = np.linalg.svd(cross + TIE_BREAK * np.eye(cross.shape[-1]))
    return u @ vt


def pair_span(sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """An orthonormal basis ``(dim, r)`` of a subspace holding every source and target.

    Why: a Procrustes map with the identity tie-break is the identity outside this
    subspace, so it can be found from an ``r x r`` SVD instead of a ``dim x dim`` one
    (r <= 2 x pairs): exactly the same map, much cheaper when pairs are few.
    """
    stacked = np.vstack([sources, targets]).T
    if stacked.shape[1] >= stacked.shape[0]:
        return np.eye(stacked.shape[0])
    return np.linalg.qr(stacked)[0]


class RelationTransform:
    """A learned relation: ``apply(x) = unit(x @ W)`` (procrustes, linear) or
    ``unit(x + b)`` (offset).

    Besides the map it keeps what the service lists: ``method``, ``pairs`` (the word
    pairs it was fitted from, so a user's relation can be fitted again on another
    model; empty for model files that never stored them), ``pair_count``,
    ``accuracy`` (leave-one-out top-5 on its pairs, ``None`` if never measured) and
    ``source`` (``"model"`` for a model's own, ``"user"`` for a taught one).
    """

    def __init__(self, name: str, matrix: np.ndarray, method: str = "procrustes",
                 pairs: Iterable[tuple[str, str]] = (), *, accuracy: float | None = None,
                 source: str = "model", pair_count: int | None = None) -> None:
        if not _NAME.match(name):
            raise ValueError(f"relation name must be letters, digits, '_', '.', '-': {name!r}")
        self.name = name
        self.method = canonical_method(method)
        self.matrix = np.asarray(matrix, dtype=np.float32)
        expected = 1 if self.method == "offset" else 2
        if self.matrix.ndim != expected:
            raise ValueError(f"a {self.method} relation needs a {expected}-D array, "
                             f"got shape {self.matrix.shape}")
        self.pairs = [(str(a), str(b)) for a, b in pairs]
        self.pair_count = int(pair_count if pair_count is not None else len(self.pairs))
        self.accuracy = None if accuracy is None else float(accuracy)
        self.source = source

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[0])

    @classmethod
    def fit(cls, name: str, sources: np.ndarray, targets: np.ndarray,
            method: str = "procrustes", ridge: float = 1e-2) -> RelationTransform:
        """Learn the map from row-aligned source and target vectors."""
        x, y = np.atleast_2d(sources), np.atleast_2d(targets)
        if x.shape != y.shape or len(x) < 2:
            raise ValueError("need at least two (source, target) pairs of equal dimension")
        return cls(name, fit_map(method, x, y, ridge), method, pair_count=len(x))

    @classmethod
    def fit_words(cls, name: str, words: WordVectors, pairs: Iterable[tuple[str, str]],
                  method: str = "procrustes") -> RelationTransform:
        """Learn from word pairs; pairs with an unknown word are skipped (KeyError if
        fewer than two are left). Keeps the pairs used; measures nothing (see
        ``relation_fitting.fit_relation`` for the checked, measured way)."""
        kept = [(a, b) for a, b in pairs if a in words and b in words]
        if len(kept) < 2:
            raise KeyError("fewer than two pairs have both words in the model")
        src = words.normed[[words.index(a) for a, _ in kept]]
        dst = words.normed[[words.index(b) for _, b in kept]]
        transform = cls.fit(name, src, dst, method)
        transform.pairs = kept
        return transform

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """Map unit vectors (n, dim) or (dim,) to unit vectors of the same shape."""
        v = np.asarray(vectors, dtype=np.float32)
        x = unit_rows(v)
        out = x + self.matrix if self.method == "offset" else x @ self.matrix
        out = unit_rows(out).astype(np.float32)
        return out[0] if v.ndim == 1 else out

    def evaluate(self, words: WordVectors, pairs: Sequence[tuple[str, str]],
                 k: int = 1) -> tuple[float, int]:
        """Share of pairs whose target is among the k nearest concepts of the mapped source
        (the source itself excluded), and how many pairs could be scored (both words
        known). This scores the map as fitted; held-out pairs make it a test."""
        known = [(words.index(a), words.index(b)) for a, b in pairs if a in words and b in words]
        if not known:
            return 0.0, 0
        src = np.array([a for a, _ in known])
        tgt = np.array([b for _, b in known])
        hits = top_k_hits(words, self.apply(words.normed[src]), src, tgt, k)
        return float(hits.mean()), len(known)

    def describe(self) -> dict:
        """The relation as ``GET /relations`` lists it."""
        return {"name": self.name, "method": self.method, "pairs": self.pair_count,
                "accuracy": None if self.accuracy is None else round(self.accuracy, 4),
                "source": self.source}

    def __repr__(self) -> str:
        return (f"RelationTransform({self.name!r}, method={self.method!r}, "
                f"pairs={self.pair_count}, accuracy={self.accuracy}, source={self.source!r})")

    def save(self, directory: str) -> None:
        """``<name>.npy`` (the map) and ``<name>.json`` (method, pair count, accuracy)."""
        os.makedirs(directory, exist_ok=True)
        np.save(os.path.join(directory, f"{self.name}.npy"), self.matrix)
        meta = {"name": self.name, "method": self.method, "pairs": self.pair_count,
                "accuracy": self.accuracy}
        with open(os.path.join(directory, f"{self.name}.json"), "w", encoding="utf-8") as f:
            json.dump(meta, f)

    @classmethod
    def load(cls, directory: str, name: str) -> RelationTransform:
        with open(os.path.join(directory, f"{name}.json"), encoding="utf-8") as f:
            meta = json.load(f)
        count = meta.get("pairs", 0)
        return cls(name, np.load(os.path.join(directory, f"{name}.npy")),
                   meta.get("method", "procrustes"),
                   pair_count=count if isinstance(count, int) else len(count),
                   accuracy=meta.get("accuracy"), source="model")


def load_relations(directory: str) -> dict[str, RelationTransform]:
    """Every transform saved in a model's ``relations/`` folder (empty dict if none)."""
    if not os.path.isdir(directory):
        return {}
    names = sorted(f[:-5] for f in os.listdir(directory) if f.endswith(".json"))
    return {n: RelationTransform.load(directory, n) for n in names}
