"""Planted word vectors shared by the encoder tests: concepts whose vectors are the
(optionally rotated) mean of their gloss words, so what an encoder should learn is known."""

from __future__ import annotations

import numpy as np

from world2vec.embeddings.words.vectors import WordVectors

DIM = 24


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def random_rotation(rng, dim):
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    return q


def planted(rotate: bool, seed: int = 0):
    """Feature words with random vectors; each concept is the mean of its 6 gloss words,
    optionally rotated (so only a *trained* encoder can map descriptions onto it)."""
    rng = np.random.default_rng(seed)
    features = [f"f{i}" for i in range(120)]
    fvec = unit(rng.normal(size=(len(features), DIM)))
    rotation = random_rotation(rng, DIM) if rotate else np.eye(DIM)
    glosses, cvec = {}, []
    for c in range(30):
        gloss = list(rng.choice(len(features), 6, replace=False))
        glosses[f"c{c}"] = [features[i] for i in gloss]
        cvec.append(unit(fvec[gloss].mean(axis=0) @ rotation))
    words = features + list(glosses)
    vectors = np.vstack([fvec, np.array(cvec)]).astype(np.float32)
    wv = WordVectors(words, vectors, np.full(len(words), 100))
    return wv, glosses, rng


def descriptions(glosses, rng, per_concept, size):
    return [(" ".join(rng.choice(g, size, replace=False)), c)
            for c, g in glosses.items() for _ in range(per_concept)]


def nearest_concept(vectors, wv, concepts):
    rows = np.array([wv.index(c) for c in concepts])
    return [concepts[i] for i in np.argmax(vectors @ wv.normed[rows].T, axis=1)]
