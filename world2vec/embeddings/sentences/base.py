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
from typing import Protocol

import numpy as np

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
        """Weighted mean of unit word vectors per text (rows not normalized)."""
        normed = self.words.normed
        out = np.zeros((len(texts), self.words.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            ids, synth = self.token_ids(text)
            if not ids and not synth:
                raise EmptyTextError(
                    f"text {row} has no word the model knows: {text[:60]!r}")
            total = 0.0
            if ids:
                w = self.weights[ids]
                out[row] = w @ normed[ids]
                total += float(w.sum())
            for vec in synth:
                out[row] += self.oov_weight * vec
                total += self.oov_weight
            out[row] /= max(total, _EPS)
        return out


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
