"""One space for concepts and texts: distilled part and skip-gram part side by side.

Why two parts: the distilled token vectors carry the teacher's world knowledge and
sentence geometry (paris sits near rome, a package description near its topic),
while the skip-gram vectors trained on dictionaries keep what they are good at
(word similarity, king - man + woman = queen). A concept is
``[alpha * unit(d_w) ; beta * unit(s_w)]`` with ``alpha^2 + beta^2 = 1``, so it is a
unit vector whose cosine with another is ``alpha^2 cos_d + beta^2 cos_s``; the
``distilled`` sentence encoder builds text vectors the same way. ``alpha = 1``
keeps only the distilled part.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from world2vec.embeddings.words.subword_fill import fit_ngram_vectors
from world2vec.embeddings.words.vectors import WordVectors

_EPS = 1e-12


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), _EPS)


def skipgram_rows(base: WordVectors, words: Sequence[str]) -> np.ndarray:
    """Unit skip-gram vectors of ``words``: the base model's row, or its n-gram guess
    for a word it lacks (zero when not even that is possible)."""
    out = np.zeros((len(words), base.dim), np.float32)
    for row, word in enumerate(words):
        try:
            out[row] = base.vector(word)[0]
        except KeyError:
            continue
    return unit(out)


def concatenate_parts(distilled: np.ndarray, skipgram: np.ndarray | None,
                      alpha: float) -> np.ndarray:
    """``[alpha * unit(distilled) ; sqrt(1 - alpha^2) * unit(skipgram)]`` (unit rows)."""
    first = unit(distilled)
    if skipgram is None or alpha >= 1.0:
        return first
    beta = float(np.sqrt(max(0.0, 1.0 - alpha * alpha)))
    return np.hstack([alpha * first, beta * unit(skipgram)]).astype(np.float32)


def joint_word_vectors(base: WordVectors, words: Sequence[str], counts: np.ndarray,
                       distilled: np.ndarray, alpha: float, buckets: int = 20000,
                       name: str = "world2vec-default") -> WordVectors:
    """Concept vectors of ``words`` in the joint space, with n-gram buckets refitted so
    unseen words still get a (synthesized) vector in the same space."""
    if len(distilled) != len(words):
        raise ValueError("one distilled row per word is needed")
    skipgram = None if alpha >= 1.0 else skipgram_rows(base, words)
    vectors = concatenate_parts(distilled, skipgram, alpha)
    ngrams = fit_ngram_vectors(list(words), vectors, buckets) if buckets else None
    settings = {**base.settings,
                "joint_space": {"distilled_dim": int(distilled.shape[1]),
                                "skipgram_dim": 0 if skipgram is None else int(base.dim),
                                "alpha": float(alpha)},
                "ngram_fit": {"buckets": int(buckets), "min_n": 3, "max_n": 6}}
    return WordVectors(list(words), vectors, np.asarray(counts, np.int64), ngrams=ngrams,
                       name=name, settings=settings, tokenizer=base.tokenizer,
                       events_path=base.events_path)
