"""The sentence-encoder interface and the shared text -> bag-of-words step.

Why a shared bag-of-words step: both encoders (SIF and the trained reverse-dictionary
encoder) start from a weighted average of the model's unit word vectors, so the slow
part (tokenising, looking words up, synthesizing unseen words from subwords) is
written once and vectorised as one sparse-times-dense product per batch.

Encoders live in the model directory under ``sentence/<name>/`` with a
``config.json`` whose ``kind`` picks the class on load; ``sentence/default`` (a
text file) names the encoder ``Model.encode_texts`` uses.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from itertools import chain, repeat
from typing import Protocol

import numpy as np
from numba import njit

from world2vec.embeddings.words.vectors import WordVectors

_EPS = 1e-12


class EmptyTextError(ValueError):
    """No token of a text is known to the model, not even through subwords."""


class SentenceEncoder(Protocol):
    kind: str

    def encode(self, texts: Sequence[str], batch_size: int = 1024) -> np.ndarray: ...
    def save(self, path: str) -> None: ...


class BagOfWords:
    """Turns texts into token-index lists and weighted averages of unit word vectors.

    ``weights`` gives each vocabulary word's weight (for example SIF's a/(a+p(w)));
    unseen words synthesized from subwords get ``oov_weight``.
    """

    def __init__(self, words: WordVectors, weights: np.ndarray, oov_weight: float) -> None:
        self.words = words
        self.weights = np.asarray(weights, dtype=np.float32)
        self.oov_weight = float(oov_weight)

    def token_ids(self, text: str) -> tuple[list[int], list[np.ndarray]]:
        """Vocabulary rows of the text's tokens, and vectors synthesized for unseen ones."""
        if not isinstance(text, str):
            raise TypeError(f"texts must be strings, got {type(text).__name__}")
        return self.words.token_rows(self.words.tokenizer.tokenize(text))

    def average(self, texts: Sequence[str]) -> np.ndarray:
        """Weighted mean of unit word vectors per text (rows not normalized).

        One pass per batch: each text is tokenized once, tokens are mapped to rows in
        one sweep, the batch's distinct unseen tokens are synthesized together, and the
        weighted sums are one compiled sparse-times-dense pass (``_weighted_means``).
        """
        words = self.words
        out = np.zeros((len(texts), words.dim), dtype=np.float32)
        tokenize = words.tokenizer.tokenize
        token_lists = []
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be strings, got {type(text).__name__}")
            token_lists.append(tokenize(text))
        tokens = list(chain.from_iterable(token_lists))
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        rows = np.array(list(map(words.key_to_index.get, tokens, repeat(-1, len(tokens)))),
                        dtype=np.int64)
        unseen = np.flatnonzero(rows < 0)
        built = words.unseen_vectors(tokens[i] for i in unseen) if len(unseen) else {}
        # an unseen token with a vector becomes row len(words) + its place in ``extra``
        extra_row = {token: row for row, token in enumerate(built, start=len(words))}
        rows[unseen] = [extra_row.get(tokens[i], -1) for i in unseen]
        extra = (np.vstack(list(built.values())) if built
                 else np.zeros((1, words.dim), dtype=np.float32))
        counts = _weighted_means(np.r_[0, np.cumsum(lengths)], rows, self.weights,
                                 np.float32(self.oov_weight), words.normed,
                                 extra.astype(np.float32, copy=False), out)
        if len(texts) and counts.min() == 0:
            row = int(np.argmin(counts))
            raise EmptyTextError(f"text {row} has no word the model knows: {texts[row][:60]!r}")
        return out


@njit(cache=True, nogil=True)
def _weighted_means(ptr, rows, weights, oov_weight, normed, extra, out):
    """``out[t]`` = weighted mean of the rows of text t's tokens ``rows[ptr[t]:ptr[t+1]]``:
    a vocabulary row (weight ``weights[row]``), a row of ``extra`` numbered after the
    vocabulary (``oov_weight``), or -1 (skipped). Returns each text's count of used rows.
    """
    n_vocab = normed.shape[0]
    counts = np.zeros(ptr.shape[0] - 1, np.int64)
    for t in range(ptr.shape[0] - 1):
        total = 0.0
        for p in range(ptr[t], ptr[t + 1]):
            r = rows[p]
            if r < 0:
                continue
            if r < n_vocab:
                w = weights[r]
                src = normed[r]
            else:
                w = oov_weight
                src = extra[r - n_vocab]
            for d in range(out.shape[1]):
                out[t, d] += w * src[d]
            total += w
            counts[t] += 1
        if total > _EPS:
            for d in range(out.shape[1]):
                out[t, d] = out[t, d] / total
    return counts


def write_config(path: str, config: dict) -> None:
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def read_config(path: str) -> dict:
    with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
        return json.load(f)


ENCODER_KINDS: dict[str, type] = {}
"""Encoder classes by their ``kind``; each encoder module registers itself on import,
so this module never imports its implementations (no cycle)."""


def register_encoder(cls: type) -> type:
    """Class decorator: make ``cls`` loadable by :func:`load_sentence_encoder`."""
    ENCODER_KINDS[cls.kind] = cls
    return cls


def load_sentence_encoder(path: str, words: WordVectors) -> SentenceEncoder:
    """Open an encoder folder, picking the class from its ``config.json`` kind."""
    kind = read_config(path).get("kind")
    if kind not in ENCODER_KINDS:
        raise ValueError(f"unknown sentence encoder kind {kind!r} in {path}")
    return ENCODER_KINDS[kind].load(path, words)
