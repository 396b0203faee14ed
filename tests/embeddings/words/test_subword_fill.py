"""Character n-gram vectors fitted after training (``subword_fill``)."""

from __future__ import annotations

import numba
import numpy as np

from world2vec.embeddings.words.subword_fill import fit_ngram_vectors
from world2vec.embeddings.words.subwords import ngram_buckets


def test_fitted_ngram_means_reproduce_the_words_whatever_the_thread_count():
    rng = np.random.default_rng(5)
    words = ["".join(rng.choice(list("abcdefghij"), int(rng.integers(4, 9)))) for _ in range(300)]
    words = sorted(set(words))
    targets = rng.normal(size=(len(words), 16)).astype(np.float32)
    targets /= np.linalg.norm(targets, axis=1, keepdims=True)
    grams = fit_ngram_vectors(words, targets, buckets=50_000, rounds=8)
    ptr, ids = ngram_buckets(words, 3, 6, 50_000)
    means = np.add.reduceat(grams[ids], ptr[:-1], axis=0) / np.diff(ptr)[:, None]
    cosines = np.sum(means * targets, axis=1) / np.linalg.norm(means, axis=1)
    assert np.median(cosines) > 0.9
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert np.array_equal(fit_ngram_vectors(words, targets, buckets=50_000, rounds=8), grams)
    finally:
        numba.set_num_threads(previous)
