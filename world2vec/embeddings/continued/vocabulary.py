"""The vocabulary of a continued model: the base model's words, then the new text's new ones.

Why the base words keep their rows and order: every component saved beside the word
vectors (a sentence encoder's per-word weights, the object encoder's) is indexed by
row, and the stored memories were encoded against those rows; appending new words
after them leaves every old index valid, so the components carry over by extension
rather than by rebuilding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from world2vec.embeddings.words.corpus import EncodedCorpus
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.embeddings.words.vocab import Vocab

__all__ = ["Extension", "extend_vocabulary"]

REMAP_BLOCK = 1 << 22


@dataclass
class Extension:
    """The extended vocabulary: ``words`` = base words + ``new_words``.

    ``counts`` adds the new text's counts to the base model's (new words: the new
    text's own); ``corpus_counts`` are the new text's counts alone, per extended row
    (0 for a base word the text never uses), which decide subsampling.
    """

    words: list[str]
    counts: np.ndarray
    corpus_counts: np.ndarray
    base_size: int
    new_words: list[str]

    @property
    def size(self) -> int:
        return len(self.words)

    def __len__(self) -> int:
        return len(self.words)


def extend_vocabulary(base: WordVectors, encoded: EncodedCorpus, corpus_vocab: Vocab,
                      min_count: int) -> Extension:
    """Extend ``base``'s words with the corpus words it lacks that occur ``min_count``
    times or more, and rewrite ``encoded``'s token ids (corpus ids, every word kept)
    into rows of the extended vocabulary in place (-1 for a rare new word, which the
    kernel skips as word2vec does).
    """
    base_index = base.key_to_index
    n_base = len(base.words)
    new_words = [w for w, c in zip(corpus_vocab.words, corpus_vocab.counts.tolist())
                 if w not in base_index and c >= min_count]
    new_index = {w: n_base + i for i, w in enumerate(new_words)}
    remap = np.full(len(corpus_vocab), -1, dtype=np.int32)
    for i, word in enumerate(corpus_vocab.words):
        row = base_index.get(word)
        remap[i] = row if row is not None else new_index.get(word, -1)
    corpus_counts = np.zeros(n_base + len(new_words), dtype=np.int64)
    kept = remap >= 0
    corpus_counts[remap[kept]] = corpus_vocab.counts[kept]
    counts = corpus_counts.copy()
    counts[:n_base] += np.asarray(base.counts, dtype=np.int64)
    tokens = encoded.tokens
    for start in range(0, len(tokens), REMAP_BLOCK):
        block = np.asarray(tokens[start:start + REMAP_BLOCK])
        tokens[start:start + REMAP_BLOCK] = np.where(block >= 0, remap[np.maximum(block, 0)], -1)
    if hasattr(tokens, "flush"):
        tokens.flush()
    return Extension(list(base.words) + new_words, counts, corpus_counts, n_base, new_words)
