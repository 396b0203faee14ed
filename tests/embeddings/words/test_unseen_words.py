"""The cache of synthesized vectors for unseen words (words/unseen.py)."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings.words.unseen import SynthesisCache
from world2vec.embeddings.words.vectors import WordVectors


def test_the_cache_keeps_the_most_recently_used_words_up_to_its_capacity():
    cache = SynthesisCache(capacity=2)
    a, b, c = (np.full(3, x, dtype=np.float32) for x in (1, 2, 3))
    cache.put_many({"a": a, "b": b})
    assert set(cache.get_many(["a"])) == {"a"}           # "a" is now the most recent
    cache.put_many({"c": c, "zzz": None})                # "zzz": nothing could be built
    assert len(cache) == 2
    assert set(cache.get_many(["a", "b", "c", "zzz"])) == {"c", "zzz"}
    assert cache.get_many(["zzz"]) == {"zzz": None}
    with pytest.raises(ValueError):
        SynthesisCache(capacity=-1)


def jointly_trained(cache_size):
    words = ["cat", "dog", "catnip"]
    vectors = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    ngrams = np.random.default_rng(1).normal(size=(50, 4)).astype(np.float32)
    return WordVectors(words, vectors, ngrams=ngrams, unseen_cache_size=cache_size)


def test_evicted_words_are_rebuilt_the_same():
    small, large = jointly_trained(cache_size=1), jointly_trained(cache_size=100)
    words = ["catbird", "dogma", "catbird", "kitten", "dogma"]
    for word in words:
        np.testing.assert_array_equal(small.vector(word)[0], large.vector(word)[0])
    assert small.vector("catbird")[1] is True


def test_a_synthesized_vector_cannot_be_changed_in_place():
    wv = jointly_trained(cache_size=100)
    vector, synthesized = wv.vector("catbird")
    assert synthesized
    before = vector.copy()
    with pytest.raises(ValueError):
        vector *= 2
    np.testing.assert_array_equal(wv.vector("catbird")[0], before)
    np.testing.assert_array_equal(wv.token_rows(["catbird"])[1][0], before)
