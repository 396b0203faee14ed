"""Vocabulary: word <-> id, counts, and word2vec's count-derived tables.

Why ids are ordered by descending count: evaluation restricts analogies to the
30,000 most frequent words, and the word2vec formats conventionally list words
by frequency, so "the first N rows" must mean "the N most frequent words".
Ties break alphabetically so that the same corpus always gives the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Vocab:
    """An immutable mapping between words and ids with their corpus counts."""

    def __init__(self, words: list[str], counts: np.ndarray) -> None:
        if len(words) != len(counts):
            raise ValueError("words and counts differ in length")
        self.words = list(words)
        self.counts = np.asarray(counts, dtype=np.int64)
        self._index = {w: i for i, w in enumerate(self.words)}
        if len(self._index) != len(self.words):
            raise ValueError("duplicate words in vocabulary")

    @classmethod
    def from_counts(cls, counts: dict[str, int] | Iterable[tuple[str, int]], min_count: int = 1,
                    max_vocab: int | None = None) -> Vocab:
        """Keep words seen at least ``min_count`` times, at most ``max_vocab`` of them."""
        items = counts.items() if isinstance(counts, dict) else counts
        kept = sorted(((w, int(c)) for w, c in items if c >= min_count), key=lambda x: (-x[1], x[0]))
        if max_vocab is not None and max_vocab > 0:
            kept = kept[:max_vocab]
        return cls([w for w, _ in kept], np.array([c for _, c in kept], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._index

    def get(self, word: str, default: int = -1) -> int:
        return self._index.get(word, default)

    def index(self, word: str) -> int:
        return self._index[word]

    @property
    def total(self) -> int:
        return int(self.counts.sum())
