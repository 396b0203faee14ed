"""Character n-gram vectors fitted *after* training, for models trained without subwords.

Why: with fastText-style joint training a short word's vector is mostly its
n-grams ("cat" shares "<ca", "cat" with catsup, catty, catalan), which on a small
dictionary corpus drowns meaning in spelling. The default model therefore trains
plain word vectors and then fits n-gram vectors so that the mean of a word's
n-gram vectors approximates its word vector: a few rounds of a Jacobi-style
least-squares update (each bucket moves to the mean residual-corrected target of
the words that contain it). Unseen words ("kittycat") are still synthesized from
their n-grams, and known words keep their own, meaning-first vectors.
"""

from __future__ import annotations

import numpy as np

from world2vec.embeddings.words.subwords import ngram_buckets


def fit_ngram_vectors(words: list[str], unit_vectors: np.ndarray, buckets: int,
                      min_n: int = 3, max_n: int = 6, rounds: int = 5,
                      max_words: int | None = None) -> np.ndarray:
    """Bucket vectors (buckets, dim) whose per-word mean approximates ``unit_vectors``."""
    n = len(words) if max_words is None else min(len(words), max_words)
    ptr, ids = ngram_buckets(words[:n], min_n, max_n, buckets)
    dim = unit_vectors.shape[1]
    targets = np.asarray(unit_vectors[:n], dtype=np.float32)
    lengths = np.diff(ptr)
    owner = np.repeat(np.arange(n), lengths)
    per_bucket = np.bincount(ids, minlength=buckets).astype(np.float32)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) if len(ids) else ids
    present = sorted_ids[starts] if len(ids) else ids
    grams = np.zeros((buckets, dim), dtype=np.float32)
    for _ in range(rounds):
        # mean of each word's n-gram vectors, by a segmented sum over the CSR rows
        gathered = grams[ids]
        if len(ids):
            sums = np.add.reduceat(gathered, np.minimum(ptr[:-1], len(ids) - 1), axis=0)
        else:
            sums = np.zeros((n, dim))
        sums[lengths == 0] = 0.0
        means = sums / np.maximum(lengths, 1)[:, None]
        residual = (targets - means)[owner][order]        # what each word still lacks
        if len(ids):
            grams[present] += (np.add.reduceat(residual, starts, axis=0)
                               / per_bucket[present][:, None])
    return grams
