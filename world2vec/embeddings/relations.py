"""Relation transforms: a linear map learned from example pairs (country -> capital).

Why linear: Mikolov et al. (2013) showed that relations between word vectors are
close to linear maps, and a d x d map is learned in closed form. Two estimators:
``lstsq`` (ridge-regularised least squares, free to scale and shear) and
``procrustes`` (the orthogonal map nearest to the pairs, which keeps distances and
so generalises better from few pairs). Inputs and outputs are unit vectors; the
mapped vector is normalized again and its nearest concept is the answer.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence

import numpy as np

from world2vec.embeddings.words.vectors import WordVectors
from world2vec.engine.linalg import unit_rows

METHODS = ("lstsq", "procrustes")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class RelationTransform:
    """``apply(x) = unit(x @ W)``, learned by :meth:`fit` from (source, target) vectors."""

    def __init__(self, name: str, matrix: np.ndarray, method: str = "procrustes",
                 pairs: int = 0) -> None:
        if not _NAME.match(name):
            raise ValueError(f"relation name must be letters, digits, '_', '.', '-': {name!r}")
        self.name = name
        self.matrix = np.asarray(matrix, dtype=np.float32)
        self.method = method
        self.pairs = int(pairs)

    @classmethod
    def fit(cls, name: str, sources: np.ndarray, targets: np.ndarray,
            method: str = "procrustes", ridge: float = 1e-2) -> RelationTransform:
        """Learn the map from row-aligned source and target vectors."""
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        # float64: the SVD / solve below want the precision
        x = unit_rows(np.atleast_2d(sources), dtype=np.float64)
        y = unit_rows(np.atleast_2d(targets), dtype=np.float64)
        if x.shape != y.shape or len(x) < 2:
            raise ValueError("need at least two (source, target) pairs of equal dimension")
        if method == "procrustes":
            u, _, vt = np.linalg.svd(x.T @ y)
            matrix = u @ vt
        else:
            d = x.shape[1]
            matrix = np.linalg.solve(x.T @ x + ridge * np.eye(d), x.T @ y)
        return cls(name, matrix, method, len(x))

    @classmethod
    def fit_words(cls, name: str, words: WordVectors, pairs: Iterable[tuple[str, str]],
                  method: str = "procrustes") -> RelationTransform:
        """Learn from word pairs; pairs with an unknown word are skipped (KeyError if none left)."""
        src, dst = [], []
        for a, b in pairs:
            if a in words and b in words:
                src.append(words.normed[words.index(a)])
                dst.append(words.normed[words.index(b)])
        if len(src) < 2:
            raise KeyError("fewer than two pairs have both words in the model")
        return cls.fit(name, np.array(src), np.array(dst), method)

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """Map unit vectors (n, dim) or (dim,) to unit vectors of the same shape."""
        v = np.asarray(vectors, dtype=np.float32)
        out = unit_rows(np.atleast_2d(v), dtype=np.float64) @ self.matrix
        out = unit_rows(out)
        return out[0] if v.ndim == 1 else out

    def accuracy(self, words: WordVectors, pairs: Sequence[tuple[str, str]],
                 k: int = 1) -> tuple[float, int]:
        """Share of pairs whose target is among the k nearest concepts of the mapped source
        (the source itself excluded), and how many pairs could be scored."""
        hits = scored = 0
        for a, b in pairs:
            if a not in words or b not in words:
                continue
            mapped = self.apply(words.normed[words.index(a)])
            top = [w for w, _ in words.nearest(mapped, k=k, exclude=(a,))]
            hits += b in top
            scored += 1
        return (hits / scored if scored else 0.0), scored

    def save(self, directory: str) -> None:
        os.makedirs(directory, exist_ok=True)
        np.save(os.path.join(directory, f"{self.name}.npy"), self.matrix)
        with open(os.path.join(directory, f"{self.name}.json"), "w", encoding="utf-8") as f:
            json.dump({"name": self.name, "method": self.method, "pairs": self.pairs}, f)

    @classmethod
    def load(cls, directory: str, name: str) -> RelationTransform:
        with open(os.path.join(directory, f"{name}.json"), encoding="utf-8") as f:
            meta = json.load(f)
        return cls(name, np.load(os.path.join(directory, f"{name}.npy")),
                   meta.get("method", "procrustes"), meta.get("pairs", 0))


def load_relations(directory: str) -> dict[str, RelationTransform]:
    """Every transform saved in a model's ``relations/`` folder (empty dict if none)."""
    if not os.path.isdir(directory):
        return {}
    names = sorted(f[:-5] for f in os.listdir(directory) if f.endswith(".json"))
    return {n: RelationTransform.load(directory, n) for n in names}
