"""Vectors for words outside the vocabulary, resolved a batch at a time and remembered.

Why: long technical texts are full of words no vocabulary holds (package names,
versions, jargon), and they recur: across the texts of a batch and across requests.
Synthesizing one from its subwords costs far more than a dictionary lookup, so each
batch's distinct unseen words are resolved together (one hashing call, one pass of
the spelling-neighbour kernel) and the answer, a vector or "nothing can be built",
is kept in a bounded LRU cache shared by the service's request threads.

How a word is built depends on the model (see ``WordVectors.vector``): from its
spelling neighbours when its n-gram vectors were fitted after training, else as the
mean of its jointly trained n-gram vectors.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from world2vec.embeddings.words.subword_neighbours import LazyNeighbourIndex
from world2vec.embeddings.words.subwords import ngram_buckets

DEFAULT_CACHE_SIZE = 65_536  # unseen words remembered: ~35 MB at most for 100-d vectors
_EPS = 1e-12


class SynthesisCache:
    """Bounded, thread-safe LRU map: unseen word -> its unit vector, or None (unknown).

    Cached vectors are read-only: a caller writing into one would otherwise change
    the answer every later request gets for that word.
    """

    def __init__(self, capacity: int = DEFAULT_CACHE_SIZE) -> None:
        if capacity < 0:
            raise ValueError("the cache capacity must be >= 0")
        self.capacity = int(capacity)
        self._items: OrderedDict[str, np.ndarray | None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get_many(self, words: Iterable[str]) -> dict[str, np.ndarray | None]:
        """The cached answers among ``words`` (each marked as recently used)."""
        found: dict[str, np.ndarray | None] = {}
        with self._lock:
            for word in words:
                if word in self._items:
                    self._items.move_to_end(word)
                    found[word] = self._items[word]
        return found

    def put_many(self, answers: dict[str, np.ndarray | None]) -> None:
        """Remember ``answers``, dropping the least recently used beyond capacity."""
        for vector in answers.values():
            if vector is not None:
                vector.flags.writeable = False
        with self._lock:
            for word, vector in answers.items():
                self._items[word] = vector
                self._items.move_to_end(word)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


class UnseenWords:
    """Builds (and caches) vectors for normalized words that are not in the vocabulary."""

    def __init__(self, words: Sequence[str], ngrams: np.ndarray | None, min_n: int, max_n: int,
                 by_spelling: bool, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.ngrams = ngrams
        self.min_n, self.max_n = min_n, max_n
        self.by_spelling = by_spelling
        self.cache = SynthesisCache(cache_size)
        self._neighbours = LazyNeighbourIndex(words, min_n, max_n)

    def resolve(self, words: Iterable[str],
                unit_vectors: Callable[[], np.ndarray]) -> dict[str, np.ndarray | None]:
        """Each distinct word -> its synthesized unit vector, or None when nothing can be
        built; ``unit_vectors()`` gives the vocabulary's unit rows (only called on a miss)."""
        wanted = [w for w in dict.fromkeys(words) if w]
        if self.ngrams is None:
            return dict.fromkeys(wanted)
        found = self.cache.get_many(wanted)
        missing = [w for w in wanted if w not in found]
        if missing:
            built = dict(zip(missing, self.synthesize(missing, unit_vectors())))
            self.cache.put_many(built)
            found.update(built)
        return found

    def synthesize(self, words: Sequence[str], unit_vectors: np.ndarray) -> list[np.ndarray | None]:
        """Uncached: one vector (or None) per word, all built in one batch."""
        if self.ngrams is None or not words:
            return [None] * len(words)
        if self.by_spelling:
            return self._neighbours.get().synthesize_many(words, unit_vectors)
        ptr, ids = ngram_buckets(list(words), self.min_n, self.max_n, len(self.ngrams))
        out: list[np.ndarray | None] = []
        for a, b in zip(ptr[:-1], ptr[1:]):
            vector = None
            if b > a:
                mean = np.asarray(self.ngrams[ids[a:b]], dtype=np.float32).mean(axis=0)
                norm = float(np.linalg.norm(mean))
                if norm > _EPS:
                    vector = (mean / norm).astype(np.float32)
            out.append(vector)
        return out
