"""N-gram vectors fitted after training (embeddings/words/subword_fill.py)."""

from __future__ import annotations

import numpy as np

from world2vec.embeddings.words.subword_fill import fit_ngram_vectors
from world2vec.embeddings.words.vectors import WordVectors

DIM = 24


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_fitted_ngrams_give_unseen_words_a_vector_near_their_spelling_family():
    rng = np.random.default_rng(11)
    cat_dir, dog_dir = unit(rng.normal(size=DIM)), unit(rng.normal(size=DIM))
    cats = ["catfish", "catnip", "catwalk", "catkin", "catgut", "catcall"]
    dogs = ["dogfish", "dogwood", "dogleg", "dogcart", "dogma", "doghouse"]
    words = cats + dogs
    vectors = np.vstack([unit(cat_dir + 0.3 * rng.normal(size=DIM)) for _ in cats]
                        + [unit(dog_dir + 0.3 * rng.normal(size=DIM)) for _ in dogs])
    grams = fit_ngram_vectors(words, vectors.astype(np.float32), buckets=5000)
    wv = WordVectors(words, vectors.astype(np.float32), ngrams=grams)
    vec, synthesized = wv.vector("catbird")
    assert synthesized
    assert float(vec @ cat_dir) > float(vec @ dog_dir) + 0.2
