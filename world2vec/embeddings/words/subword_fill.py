"""Character n-gram vectors fitted *after* training, for models trained without subwords.

Why: with fastText-style joint training a short word's vector is mostly its
n-grams ("cat" shares "<ca", "cat" with catsup, catty, catalan), which on a small
dictionary corpus drowns meaning in spelling. ``world2vec train`` (``--subwords
fitted``, the default) and the default model therefore train plain word vectors
and then fit n-gram vectors so that the mean of a word's n-gram vectors
approximates its word vector: a few rounds of a Jacobi-style least-squares
update (each bucket moves by the mean residual of the words that contain it).
Unseen words ("kittycat") are still synthesized from their n-grams, and known
words keep their own, meaning-first vectors: the fit never touches them.

Why numba: the fit runs inside ``world2vec train``'s wall time, right after
training. The plain numpy form gathers every (word, n-gram) pair's row, a
(pairs x dim) temporary of hundreds of MB for a 30k-word vocabulary, each round;
the kernels below stream over the CSR lists instead, in parallel, with no
temporaries beyond one residual row per word. Each output row is written by
one loop iteration in a fixed order, so the result does not depend on the
number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from world2vec.embeddings.words.subwords import ngram_buckets


@njit(parallel=True, fastmath=True, cache=True)
def _residuals(grams, targets, ptr, ids, out):
    """``out[w] = targets[w] - mean of w's n-gram rows`` (the target itself if it has none)."""
    dim = targets.shape[1]
    for w in prange(targets.shape[0]):
        a, b = ptr[w], ptr[w + 1]
        row = out[w]
        for j in range(dim):
            row[j] = 0.0
        for k in range(a, b):
            g = grams[ids[k]]
            for j in range(dim):
                row[j] += g[j]
        inv = np.float32(1.0 / max(b - a, 1))
        t = targets[w]
        for j in range(dim):
            row[j] = t[j] - row[j] * inv


@njit(parallel=True, fastmath=True, cache=True)
def _move_buckets(grams, residual, bucket_ptr, owners, present):
    """Each present bucket moves by the mean residual of its (word, n-gram) pairs."""
    dim = grams.shape[1]
    for i in prange(present.shape[0]):
        bucket = present[i]
        a, b = bucket_ptr[bucket], bucket_ptr[bucket + 1]
        inv = np.float32(1.0 / (b - a))
        g = grams[bucket]
        for k in range(a, b):
            r = residual[owners[k]]
            for j in range(dim):
                g[j] += r[j] * inv


def fit_ngram_vectors(words: list[str], unit_vectors: np.ndarray, buckets: int,
                      min_n: int = 3, max_n: int = 6, rounds: int = 5,
                      max_words: int | None = None) -> np.ndarray:
    """Bucket vectors (buckets, dim) whose per-word mean approximates ``unit_vectors``.

    ``max_words`` fits only the first (most frequent) words; buckets no word uses stay zero.
    """
    n = len(words) if max_words is None else min(len(words), max_words)
    ptr, ids = ngram_buckets(words[:n], min_n, max_n, buckets)
    targets = np.ascontiguousarray(unit_vectors[:n], dtype=np.float32)
    grams = np.zeros((buckets, targets.shape[1]), dtype=np.float32)
    if len(ids) == 0:
        return grams
    # The same pairs grouped by bucket: owners[bucket_ptr[b]:bucket_ptr[b + 1]] are
    # the words (one entry per occurrence) that contain bucket b.
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    order = np.argsort(ids, kind="stable")
    owners = owner[order]
    per_bucket = np.bincount(ids, minlength=buckets)
    bucket_ptr = np.zeros(buckets + 1, dtype=np.int64)
    np.cumsum(per_bucket, out=bucket_ptr[1:])
    present = np.flatnonzero(per_bucket).astype(np.int64)
    residual = np.empty_like(targets)
    for _ in range(rounds):
        _residuals(grams, targets, ptr, ids, residual)
        _move_buckets(grams, residual, bucket_ptr, owners, present)
    return grams
