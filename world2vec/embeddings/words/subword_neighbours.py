"""Vectors for unseen words from their spelling neighbours in the vocabulary.

Why: n-gram vectors fitted *after* training (``subword_fill``) reproduce known
words well but generalise poorly to new ones: averaged over twenty-odd hashed
n-gram rows, an unseen word such as "catz" lands near the crowded centre of the
space, among rare words, not near "cat". Character n-grams are still the right
evidence, so this index uses them to find the known words that share the most
(idf-weighted) n-grams with the unseen word ("catz" -> cat, cats; "bicyclist" ->
cyclist, bicycling) and returns a sharply weighted mean of their unit vectors:
the best-matching few decide, so the result keeps a meaning instead of drifting
to the centre. A word that resembles nothing known is refused (KeyError upstream).

The inverted index (n-gram hash -> words) is built on first use, about a second
for 50k words, and costs a few MB.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from world2vec.embeddings.words.subwords import ngram_buckets, word_ngram_buckets

HASH_SPACE = 1 << 21  # large enough that collisions between n-grams are rare


class NgramNeighbourIndex:
    """Known words ranked by idf-weighted character n-gram overlap with a query word."""

    def __init__(self, words: Sequence[str], min_n: int = 3, max_n: int = 6,
                 neighbours: int = 5, sharpness: float = 4.0, min_overlap: float = 0.2) -> None:
        self.min_n, self.max_n = min_n, max_n
        self.min_overlap = min_overlap
        self.neighbours = neighbours
        self.sharpness = sharpness
        ptr, ids = ngram_buckets(list(words), min_n, max_n, HASH_SPACE)
        self.size = len(words)
        owner = np.repeat(np.arange(self.size), np.diff(ptr))
        order = np.argsort(ids, kind="stable")
        self._grams = ids[order]
        self._owners = owner[order]
        frequency = np.bincount(ids, minlength=HASH_SPACE)
        self._idf = np.log(self.size / (1.0 + frequency)).astype(np.float32)
        mass = np.zeros(self.size, dtype=np.float32)
        np.add.at(mass, owner, self._idf[ids])
        self._norms = np.sqrt(mass) + 1e-6

    def ranked(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the best-matching known words and their overlap scores (0..1)."""
        grams = np.unique(word_ngram_buckets(word, self.min_n, self.max_n, HASH_SPACE))
        if len(grams) == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        scores = np.zeros(self.size, dtype=np.float32)
        lo = np.searchsorted(self._grams, grams, side="left")
        hi = np.searchsorted(self._grams, grams, side="right")
        for gram, a, b in zip(grams, lo, hi):
            if b > a:
                scores[self._owners[a:b]] += self._idf[gram]
        scores /= self._norms * np.sqrt(max(float(self._idf[grams].sum()), 1e-6))
        k = min(self.neighbours, self.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        keep = scores[top] > 0
        return top[keep], scores[top][keep]

    def synthesize(self, word: str, unit_vectors: np.ndarray) -> np.ndarray | None:
        """Unit vector for ``word`` from its spelling neighbours.

        None when no known word shares enough of its n-grams (``min_overlap`` of the
        cosine between idf-weighted n-gram sets): gibberish such as "qqqqxz" is
        refused rather than given an arbitrary vector.
        """
        rows, scores = self.ranked(word)
        if len(rows) == 0 or scores[0] < self.min_overlap:
            return None
        weights = scores.astype(np.float32) ** self.sharpness
        vector = weights @ np.asarray(unit_vectors[rows], dtype=np.float32)
        norm = float(np.linalg.norm(vector))
        return (vector / norm).astype(np.float32) if norm > 1e-12 else None


class LazyNeighbourIndex:
    """Builds the index once, on the first unseen word, safely across request threads."""

    def __init__(self, words: Sequence[str], min_n: int, max_n: int) -> None:
        self._args = (words, min_n, max_n)
        self._index: NgramNeighbourIndex | None = None
        self._lock = threading.Lock()

    def get(self) -> NgramNeighbourIndex:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = NgramNeighbourIndex(*self._args)
        return self._index
