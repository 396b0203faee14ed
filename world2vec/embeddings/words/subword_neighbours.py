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
for 50k words, and costs ~30 MB. Words are ranked a batch at a time by a compiled
kernel that visits only the known words sharing an n-gram with each query word.

Ties between equally scored known words go to the lower row (the more frequent
word), so a word's neighbours do not depend on the platform's partial sort.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from numba import njit

from world2vec.embeddings.words.subwords import ngram_buckets

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
        owner = np.repeat(np.arange(self.size, dtype=np.int32), np.diff(ptr))
        # postings: the owners of n-gram g are _owners[_starts[g]:_starts[g + 1]], ascending
        self._owners = owner[np.argsort(ids, kind="stable")]
        frequency = np.bincount(ids, minlength=HASH_SPACE)
        self._starts = np.zeros(HASH_SPACE + 1, dtype=np.int64)
        np.cumsum(frequency, out=self._starts[1:])
        self._idf = np.log(self.size / (1.0 + frequency)).astype(np.float32)
        mass = np.zeros(self.size, dtype=np.float32)
        np.add.at(mass, owner, self._idf[ids])
        self._norms = np.sqrt(mass) + 1e-6

    def ranked(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the best-matching known words and their overlap scores (0..1)."""
        return self.ranked_many([word])[0]

    def ranked_many(self, words: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`ranked` of each word, all in one batch."""
        rows, scores, found = self._rank(list(words))
        return [(rows[i, :n].copy(), scores[i, :n].copy()) for i, n in enumerate(found)]

    def synthesize(self, word: str, unit_vectors: np.ndarray) -> np.ndarray | None:
        """Unit vector for ``word`` from its spelling neighbours.

        None when no known word shares enough of its n-grams (``min_overlap`` of the
        cosine between idf-weighted n-gram sets): gibberish such as "qqqqxz" is
        refused rather than given an arbitrary vector.
        """
        return self.synthesize_many([word], unit_vectors)[0]

    def synthesize_many(self, words: Sequence[str],
                        unit_vectors: np.ndarray) -> list[np.ndarray | None]:
        """:meth:`synthesize` of each word, ranked and blended in one batch."""
        rows, scores, found = self._rank(list(words))
        out: list[np.ndarray | None] = [None] * len(found)
        keep = np.flatnonzero((found > 0) & (scores[:, 0] >= self.min_overlap))
        if len(keep) == 0:
            return out
        weights = scores[keep] ** self.sharpness  # the slots past ``found`` score 0: weight 0
        neighbours = np.asarray(unit_vectors[rows[keep]], dtype=np.float32)
        vectors = np.matmul(weights[:, None, :], neighbours)[:, 0, :]
        norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))
        for i, vector, norm in zip(keep, vectors, norms):
            if norm > 1e-12:
                out[i] = vector / norm
        return out

    def _rank(self, words: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows (n, k) and scores (n, k) of each word's best matches, best first, and
        how many of the k slots each word filled (the rest are 0).

        Why a batch: a text full of unseen words (package names, versions, jargon)
        used to cost one scan of the whole vocabulary per word; here each word only
        visits the known words that share one of its n-grams, and hashing, lookups
        and the kernel call are paid once per batch.
        """
        k = max(min(self.neighbours, self.size), 0)
        rows = np.zeros((len(words), k), dtype=np.int64)
        scores = np.zeros((len(words), k), dtype=np.float32)
        found = np.zeros(len(words), dtype=np.int64)
        if not words or k == 0:
            return rows, scores, found
        ptr, ids = ngram_buckets(words, self.min_n, self.max_n, HASH_SPACE)
        # each word's distinct n-grams, ascending (the order its scores are summed in)
        keys = np.repeat(np.arange(len(words), dtype=np.int64), np.diff(ptr)) * HASH_SPACE + ids
        keys.sort()
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
        q_grams = keys % HASH_SPACE
        q_ptr = np.searchsorted(keys // HASH_SPACE, np.arange(len(words) + 1))
        q_idf = self._idf[q_grams]
        # each word's own idf mass, summed by numpy one word at a time as it always was
        mass = np.array([float(q_idf[a:b].sum()) for a, b in zip(q_ptr[:-1], q_ptr[1:])])
        q_scale = np.sqrt(np.maximum(mass, 1e-6))
        _best_matches(q_ptr, q_grams, q_idf, q_scale, self._starts, self._owners, self._norms,
                      rows, scores, found)
        return rows, scores, found


@njit(cache=True, nogil=True)
def _best_matches(q_ptr, q_grams, q_idf, q_scale, starts, owners, norms, rows, scores, found):
    """For each query word q, whose distinct n-grams are ``q_grams[q_ptr[q]:q_ptr[q+1]]``,
    the best ``rows.shape[1]`` known words by positive normalized overlap, best first,
    ties to the lower (more frequent) row; ``found[q]`` says how many there are.

    A known word counts each shared n-gram once, in ascending n-gram order, in float32;
    the cosine's division is done in float64 and rounded to float32, exactly as the
    dense numpy formula does, so batched and one-word results are bit-identical.
    """
    n = norms.shape[0]
    k = rows.shape[1]
    acc = np.zeros(n, np.float32)
    seen = np.zeros(n, np.bool_)
    touched = np.empty(n, np.int64)
    for q in range(q_ptr.shape[0] - 1):
        m = 0
        for j in range(q_ptr[q], q_ptr[q + 1]):
            g = q_grams[j]
            last = -1
            for p in range(starts[g], starts[g + 1]):
                w = owners[p]
                if w == last:  # the word holds this n-gram twice: counted once
                    continue
                last = w
                if not seen[w]:
                    seen[w] = True
                    touched[m] = w
                    m += 1
                acc[w] += q_idf[j]
        count = 0
        for t in range(m):
            w = touched[t]
            s = np.float32(np.float64(acc[w]) / (np.float64(norms[w]) * q_scale[q]))
            acc[w] = 0.0
            seen[w] = False
            if s <= 0 or (count == k and (s < scores[q, k - 1]
                                          or (s == scores[q, k - 1] and w > rows[q, k - 1]))):
                continue
            i = count if count < k else k - 1
            while i > 0 and (scores[q, i - 1] < s or (scores[q, i - 1] == s and rows[q, i - 1] > w)):
                scores[q, i] = scores[q, i - 1]
                rows[q, i] = rows[q, i - 1]
                i -= 1
            scores[q, i] = s
            rows[q, i] = w
            if count < k:
                count += 1
        found[q] = count


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
