"""A small WordVectors with known geometry, for the tests of concept lookups and arithmetic.

Each word's vector is a sum of named features plus a little seeded noise, so
man : king :: woman : queen and "a football match" ~ sport hold by construction.
The model has n-gram rows too, so an unseen word is synthesized from its subwords.
"""

from __future__ import annotations

import numpy as np

from world2vec.embeddings.model import Model
from world2vec.embeddings.words.vectors import WordVectors

FEATURES = ["royal", "male", "female", "person", "animal", "feline", "city", "france",
            "italy", "country", "sport", "violence", "food", "weather"]
WORDS = {
    "king": ["royal", "male", "person"], "queen": ["royal", "female", "person"],
    "man": ["male", "person"], "woman": ["female", "person"],
    "cat": ["animal", "feline"], "tiger": ["animal", "feline"],
    "paris": ["city", "france"], "rome": ["city", "italy"],
    "france": ["country", "france"], "italy": ["country", "italy"],
    "football": ["sport"], "match": ["sport"], "goal": ["sport"],
    "war": ["violence"], "attack": ["violence"], "bread": ["food"], "rain": ["weather"],
    "the": [], "a": [],
}
DIM = 24


def feature_words(seed: int = 3) -> WordVectors:
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((DIM, DIM)))[0][:len(FEATURES)]
    feature = dict(zip(FEATURES, basis))
    words = list(WORDS)
    vectors = np.array([sum((feature[f] for f in WORDS[w]), np.zeros(DIM))
                        + 0.03 * rng.standard_normal(DIM) for w in words], dtype=np.float32)
    counts = np.array([5000 if not WORDS[w] else 50 for w in words], dtype=np.int64)
    ngrams = rng.standard_normal((512, DIM)).astype(np.float32)
    return WordVectors(words, vectors, counts, ngrams=ngrams, min_n=3, max_n=5)


def feature_model() -> Model:
    return Model(feature_words())
