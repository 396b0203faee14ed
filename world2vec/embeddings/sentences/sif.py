"""SIF sentence embeddings (Arora, Liang and Ma, 2017): the unsupervised baseline.

Why SIF: a plain average of word vectors is dominated by frequent words and by a
direction shared by all sentences. SIF weights each word by ``a / (a + p(w))``
(p = unigram probability, a ~ 1e-3) and removes the projection on the first
principal component of a sample of sentence vectors. It needs no training beyond
the word vectors, so it is the baseline every trained encoder must beat.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from world2vec.embeddings.sentences.base import (
    BagOfWords,
    read_config,
    register_encoder,
    write_config,
)
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.engine.linalg import unit_rows


def sif_weights(counts: np.ndarray, a: float = 1e-3) -> tuple[np.ndarray, float]:
    """Per-word weights a/(a+p(w)) and the weight of an unseen word (p -> min count)."""
    counts = np.asarray(counts, dtype=np.float64)
    total = max(float(counts.sum()), 1.0)
    p = counts / total
    oov = a / (a + (float(counts.min()) if len(counts) else 1.0) / total)
    return (a / (a + p)).astype(np.float32), float(oov)


@register_encoder
class SIFEncoder:
    """Smooth-inverse-frequency average of unit word vectors, common component removed."""

    kind = "sif"

    def __init__(self, words: WordVectors, a: float = 1e-3,
                 component: np.ndarray | None = None) -> None:
        self.words = words
        self.a = float(a)
        weights, oov = sif_weights(words.counts, a)
        self.bag = BagOfWords(words, weights, oov)
        self.component = None if component is None else np.asarray(component, np.float32)

    def fit(self, texts: Sequence[str], max_texts: int = 20000, seed: int = 1) -> SIFEncoder:
        """Estimate the common component from (a sample of) texts."""
        texts = list(texts)
        if len(texts) > max_texts:
            pick = np.random.default_rng(seed).choice(len(texts), max_texts, replace=False)
            texts = [texts[i] for i in sorted(pick)]
        rows = []
        for text in texts:
            try:
                rows.append(self.bag.average([text])[0])
            except ValueError:
                continue
        if not rows:
            raise ValueError("SIF needs at least one text with known words to fit")
        matrix = np.vstack(rows)
        _, _, vt = np.linalg.svd(matrix, full_matrices=False)
        self.component = vt[0].astype(np.float32)
        return self

    def raw(self, texts: Sequence[str]) -> np.ndarray:
        """Weighted averages with the common component removed (not normalized)."""
        x = self.bag.average(texts)
        if self.component is not None:
            x -= np.outer(x @ self.component, self.component)
        return x

    def encode(self, texts: Sequence[str], batch_size: int = 1024) -> np.ndarray:
        """Unit float32 rows, one per text; ``ValueError`` names a text with no known word."""
        texts = list(texts)
        out = np.empty((len(texts), self.words.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            out[start:start + batch_size] = unit_rows(self.raw(texts[start:start + batch_size]))
        return out

    def save(self, path: str) -> None:
        write_config(path, {"kind": self.kind, "a": self.a})
        if self.component is not None:
            np.save(os.path.join(path, "component.npy"), self.component)

    @classmethod
    def load(cls, path: str, words: WordVectors) -> SIFEncoder:
        config = read_config(path)
        comp_path = os.path.join(path, "component.npy")
        component = np.load(comp_path) if os.path.exists(comp_path) else None
        return cls(words, a=config.get("a", 1e-3), component=component)
