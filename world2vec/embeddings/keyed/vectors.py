"""KeyedVectors: gensim's ``KeyedVectors`` names and semantics over a world2vec WordVectors.

Why a facade and not a subclass: WordVectors is world2vec's own model (its
``most_similar`` takes ``k``, its lookups return unit vectors); people who know gensim
should be able to write ``wv["cat"]``, ``wv.most_similar("cat", topn=5)`` or
``wv.evaluate_word_analogies(path)`` and get what gensim gives on the same vectors,
without world2vec's own API changing under anyone. This class holds no copy of the
vectors: ``source`` is the WordVectors it reads.

Where it differs from gensim, on purpose:

* An unseen word that world2vec can build from its subwords has a vector:
  ``wv["kittycat"]`` is that synthesized unit vector (gensim's plain KeyedVectors
  raises ``KeyError``; its FastText vectors synthesize too). Every method that needs a
  key's vector (``most_similar``, ``similarity``, ``doesnt_match``...) uses it.
* ``key in wv``, ``key_to_index``, ``get_index`` and the evaluations stay with the
  vocabulary: ``"kittycat" in wv`` is False. A word with nothing to build it from
  (``"qqqqxz"``) is not in ``wv`` and ``wv["qqqqxz"]`` raises ``KeyError`` as in gensim.
* A key is looked up as given and then as the model's tokenizer normalizes it
  (lowercased for an uncased vocabulary), so ``"Cat" in wv`` when "cat" is known.
* ``most_similar_cosmul`` honours ``restrict_vocab`` (gensim 4 ignores it), and
  ``evaluate_word_analogies`` honours ``similarity_function`` (gensim 4 always uses
  ``most_similar``); with the defaults the answers are gensim's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np

from world2vec.embeddings.keyed import evaluation, files
from world2vec.embeddings.words.vectors import WordVectors

log = logging.getLogger("world2vec.embeddings")

KEY_TYPES = (str, int, np.integer)
EXTENDED_KEY_TYPES = (str, int, np.integer, np.ndarray)


def _as_list(value: Any) -> list:
    """gensim's rule: None is nothing, one key or vector is a list of one, a matrix its rows."""
    if value is None:
        return []
    if isinstance(value, KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    return list(value)


def unitvec(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to length 1 (a zero vector is returned as it is)."""
    norm = float(np.linalg.norm(vector))
    return vector / np.float32(norm) if norm > 0 else vector


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` largest scores, best first."""
    n = min(n, len(scores))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    return top[np.argsort(-scores[top], kind="stable")]


class KeyedVectors:
    """gensim-compatible read access to a world2vec model's word vectors (see module doc)."""

    def __init__(self, source: WordVectors) -> None:
        self.source = source
        self._key_to_index: dict[str, int] | None = None
        self._norms: np.ndarray | None = None

    # -- the table ---------------------------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """The raw (not unit-length) vectors, one row per key in ``index_to_key`` order."""
        return self.source.vectors

    @property
    def index_to_key(self) -> list[str]:
        return self.source.words

    @property
    def key_to_index(self) -> dict[str, int]:
        if self._key_to_index is None:
            self._key_to_index = {w: i for i, w in enumerate(self.source.words)}
        return self._key_to_index

    @property
    def vector_size(self) -> int:
        return self.source.dim

    @property
    def norms(self) -> np.ndarray:
        if self._norms is None:
            self._norms = np.linalg.norm(np.asarray(self.vectors, dtype=np.float32), axis=1)
        return self._norms

    def fill_norms(self, force: bool = False) -> None:
        if force:
            self._norms = None
        _ = self.norms

    def get_normed_vectors(self) -> np.ndarray:
        """Unit-length rows (computed once by the model and shared)."""
        return self.source.normed

    def __len__(self) -> int:
        return len(self.source)

    def __repr__(self) -> str:
        return f"KeyedVectors<vector_size={self.vector_size}, {len(self)} keys>"

    # -- keys --------------------------------------------------------------------------
    def _row(self, key: Any) -> int | None:
        if isinstance(key, str):
            try:
                return self.source.index(key)
            except KeyError:
                return None
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) \
                and 0 <= key < len(self):
            return int(key)
        return None

    def get_index(self, key: Any, default: int | None = None) -> int:
        """The key's row; ``default`` when given and the key is not in the vocabulary."""
        row = self._row(key)
        if row is not None:
            return row
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present")

    def has_index_for(self, key: Any) -> bool:
        return self._row(key) is not None

    def __contains__(self, key: Any) -> bool:
        return self._row(key) is not None

    def get_vecattr(self, key: Any, attr: str) -> int:
        if attr != "count":
            raise KeyError(f"no attribute {attr!r} (world2vec keeps 'count')")
        return int(self.source.counts[self.get_index(key)])

    def get_vector(self, key: Any, norm: bool = False) -> np.ndarray:
        """The key's vector (unit length when ``norm``), read-only.

        An unseen word built from its subwords gives its synthesized unit vector;
        ``KeyError`` when there is nothing to build it from.
        """
        row = self._row(key)
        if row is not None:
            out = (self.source.normed[row] if norm
                   else np.asarray(self.vectors[row], dtype=np.float32)).view()
        elif isinstance(key, str):
            try:
                out = np.array(self.source.vector(key)[0], dtype=np.float32)
            except KeyError:
                raise KeyError(f"Key '{key}' not present") from None
        else:
            raise KeyError(f"Key '{key}' not present")
        out.setflags(write=False)
        return out

    def __getitem__(self, key_or_keys: Any) -> np.ndarray:
        """One key -> its vector (1-D); a list of keys -> their vectors (2-D)."""
        if isinstance(key_or_keys, KEY_TYPES):
            return self.get_vector(key_or_keys)
        return np.vstack([self.get_vector(key) for key in key_or_keys])

    def _has_vector(self, key: Any) -> bool:
        try:
            self.get_vector(key)
        except KeyError:
            return False
        return True

    def get_mean_vector(self, keys: Sequence[Any], weights: Sequence[float] | np.ndarray | None = None,
                        pre_normalize: bool = True, post_normalize: bool = False,
                        ignore_missing: bool = True) -> np.ndarray:
        """Weighted mean of keys' vectors (unit vectors when ``pre_normalize``) or given arrays."""
        if len(keys) == 0:
            raise ValueError("cannot compute mean with no input")
        weights = np.ones(len(keys), np.float32) if weights is None else np.asarray(weights)
        if len(keys) != weights.shape[0]:
            raise ValueError("keys and weights array must have same number of elements")
        mean = np.zeros(self.vector_size, np.float32)
        total = 0.0
        for key, weight in zip(keys, weights):
            if isinstance(key, np.ndarray):
                mean += weight * key
            elif self._has_vector(key):
                mean += weight * self.get_vector(key, norm=pre_normalize)
            elif not ignore_missing:
                raise KeyError(f"Key '{key}' not present in vocabulary")
            else:
                continue
            total += abs(float(weight))
        if total > 0:
            mean = mean / np.float32(total)
        return unitvec(mean).astype(np.float32) if post_normalize else mean

    # -- similarity --------------------------------------------------------------------
    def most_similar(self, positive: Any = None, negative: Any = None, topn: int | None = 10,
                     clip_start: int = 0, clip_end: int | None = None,
                     restrict_vocab: int | None = None, indexer: Any = None) -> Any:
        """Keys nearest (cosine) to the weighted mean of ``positive`` minus ``negative``.

        Each of ``positive``/``negative`` is one key or vector, or a list of keys,
        vectors or ``(key, weight)`` pairs (default weights +1 and -1). Input keys are
        left out of the answer. ``topn=None`` returns every similarity as an array.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive, negative = _as_list(positive), _as_list(negative)
        keys: list[Any] = []
        weights = np.concatenate([np.ones(len(positive)), -np.ones(len(negative))])
        for i, item in enumerate(positive + negative):
            if isinstance(item, EXTENDED_KEY_TYPES):
                keys.append(item)
            else:
                keys.append(item[0])
                weights[i] = item[1]
        mean = self.get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True,
                                    ignore_missing=False)
        inputs = {row for row in (self._row(k) for k in keys if isinstance(k, KEY_TYPES))
                  if row is not None}
        if indexer is not None and isinstance(topn, int):
            return indexer.most_similar(mean, topn)
        clip_end = clip_end or len(self)
        if restrict_vocab:
            clip_start, clip_end = 0, restrict_vocab
        dists = self.source.normed[clip_start:clip_end] @ mean
        if not topn:
            return dists
        best = _top(dists, topn + len(inputs))
        return [(self.index_to_key[i + clip_start], float(dists[i])) for i in best
                if i + clip_start not in inputs][:topn]

    def similar_by_key(self, key: Any, topn: int | None = 10,
                       restrict_vocab: int | None = None) -> Any:
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def similar_by_vector(self, vector: np.ndarray, topn: int | None = 10,
                          restrict_vocab: int | None = None) -> Any:
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_cosmul(self, positive: Any = None, negative: Any = None,
                            topn: int | None = 10, restrict_vocab: int | None = None) -> Any:
        """3CosMul (Levy & Goldberg): the product of positive similarities over the
        product of negative ones, each shifted into [0, 1]; input keys left out."""
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive, negative = _as_list(positive), _as_list(negative)
        inputs = {row for row in (self._row(k) for k in positive + negative
                                  if not isinstance(k, np.ndarray)) if row is not None}
        pos = [w if isinstance(w, np.ndarray) else self.get_vector(w, norm=True) for w in positive]
        neg = [w if isinstance(w, np.ndarray) else self.get_vector(w, norm=True) for w in negative]
        if not pos:
            raise ValueError("cannot compute similarity with no input")
        matrix = self.source.normed[:restrict_vocab] if restrict_vocab else self.source.normed
        numerator = np.prod([(1 + matrix @ t) / 2 for t in pos], axis=0)
        denominator = np.prod([(1 + matrix @ t) / 2 for t in neg], axis=0) if neg else 1.0
        dists = numerator / (denominator + 0.000001)
        if not topn:
            return dists
        best = _top(dists, topn + len(inputs))
        return [(self.index_to_key[i], float(dists[i])) for i in best if i not in inputs][:topn]

    def rank_by_centrality(self, words: Sequence[Any], use_norm: bool = True) -> list[tuple[float, str]]:
        """``(similarity to the mean, word)``, most central first; keys without a vector
        are skipped with a warning, as gensim does."""
        used = [w for w in words if self._has_vector(w)]
        if len(used) != len(words):
            log.warning("vectors for words %s are not present in the model, ignoring these words",
                        set(words) - set(used))
        if not used:
            raise ValueError("cannot select a word from an empty list")
        vectors = np.vstack([self.get_vector(w, norm=use_norm) for w in used]).astype(np.float32)
        mean = self.get_mean_vector(vectors, post_normalize=True)
        dists = vectors @ mean
        return sorted(zip(dists.tolist(), used), reverse=True)

    def doesnt_match(self, words: Sequence[Any]) -> Any:
        """The word furthest from the mean of all of them."""
        return self.rank_by_centrality(words)[-1][1]

    @staticmethod
    def cosine_similarities(vector_1: np.ndarray, vectors_all: np.ndarray) -> np.ndarray:
        norm = np.linalg.norm(vector_1)
        all_norms = np.linalg.norm(vectors_all, axis=1)
        return (np.dot(vectors_all, vector_1) / (norm * all_norms)).astype(np.float32)

    def distances(self, word_or_vector: Any, other_words: Sequence[Any] = ()) -> np.ndarray:
        """Cosine distances (1 - similarity) to ``other_words``, or to every key."""
        vector = self.get_vector(word_or_vector) if isinstance(word_or_vector, KEY_TYPES) \
            else np.asarray(word_or_vector, dtype=np.float32)
        others = np.asarray(self.vectors, np.float32) if not other_words else self[list(other_words)]
        return 1 - self.cosine_similarities(vector, others)

    def distance(self, w1: Any, w2: Any) -> float:
        return 1 - self.similarity(w1, w2)

    def similarity(self, w1: Any, w2: Any) -> float:
        """Cosine similarity of two keys."""
        return float(np.dot(unitvec(self[w1]), unitvec(self[w2])))

    def n_similarity(self, ws1: Sequence[Any], ws2: Sequence[Any]) -> float:
        """Cosine similarity of the means of two lists of keys (raw vectors)."""
        if not (len(ws1) and len(ws2)):
            raise ZeroDivisionError("At least one of the passed list is empty.")
        mean1 = self.get_mean_vector(ws1, pre_normalize=False)
        mean2 = self.get_mean_vector(ws2, pre_normalize=False)
        return float(np.dot(unitvec(mean1), unitvec(mean2)))

    def most_similar_to_given(self, key1: Any, keys_list: Sequence[Any]) -> Any:
        return keys_list[int(np.argmax([self.similarity(key1, k) for k in keys_list]))]

    def closer_than(self, key1: Any, key2: Any) -> list[str]:
        """Every key closer to ``key1`` than ``key2`` is (``key1`` itself left out)."""
        all_distances = self.distances(key1)
        e1, e2 = self.get_index(key1), self.get_index(key2)
        closer = np.where(all_distances < all_distances[e2])[0]
        return [self.index_to_key[i] for i in closer if i != e1]

    def rank(self, key1: Any, key2: Any) -> int:
        """1 + how many keys are closer to ``key1`` than ``key2`` is."""
        return len(self.closer_than(key1, key2)) + 1

    def relative_cosine_similarity(self, wa: Any, wb: Any, topn: int = 10) -> float:
        sims = self.similar_by_word(wa, topn)
        if not sims:
            raise ValueError("Cannot calculate relative cosine similarity without any similar words.")
        return self.similarity(wa, wb) / sum(sim for _, sim in sims)

    # -- evaluation --------------------------------------------------------------------
    def evaluate_word_analogies(self, analogies: str | os.PathLike, restrict_vocab: int = 300000,
                                case_insensitive: bool = True, dummy4unknown: bool = False,
                                similarity_function: str = "most_similar") -> tuple[float, list[dict]]:
        """gensim's protocol and answer shape: ``(accuracy, sections)``."""
        return evaluation.evaluate_word_analogies(self, analogies, restrict_vocab, case_insensitive,
                                                  dummy4unknown, similarity_function)

    def evaluate_word_pairs(self, pairs: str | os.PathLike, delimiter: str = "\t",
                            encoding: str = "utf8", restrict_vocab: int = 300000,
                            case_insensitive: bool = True, dummy4unknown: bool = False) -> tuple:
        """gensim's protocol and answer shape: ``(pearson, spearman, oov_ratio)``."""
        return evaluation.evaluate_word_pairs(self, pairs, delimiter, encoding, restrict_vocab,
                                              case_insensitive, dummy4unknown)

    # -- files -------------------------------------------------------------------------
    def save_word2vec_format(self, fname: str | os.PathLike, fvocab: str | os.PathLike | None = None,
                             binary: bool = False, total_vec: int | None = None,
                             write_header: bool = True, prefix: str = "", append: bool = False,
                             sort_attr: str = "count") -> None:
        """Write word2vec text (or ``binary``) most frequent first; ``fvocab`` gets
        ``word count`` lines. A name ending in ``.gz`` is compressed."""
        files.save(self.source, fname, fvocab=fvocab, binary=binary, total_vec=total_vec,
                   write_header=write_header, prefix=prefix, append=append, sort_attr=sort_attr)

    @classmethod
    def load_word2vec_format(cls, fname: str | os.PathLike, fvocab: str | os.PathLike | None = None,
                             binary: bool = False, encoding: str = "utf8",
                             unicode_errors: str = "strict", limit: int | None = None,
                             datatype: Any = np.float32, no_header: bool = False) -> KeyedVectors:
        """Read a word2vec text or binary file (gzip or not); the first ``limit`` vectors.

        Vectors are held as float32 whatever ``datatype`` says; a text file without a
        header is recognised with or without ``no_header``.
        """
        return cls(files.load(fname, fvocab=fvocab, binary=binary, encoding=encoding,
                              unicode_errors=unicode_errors, limit=limit, no_header=no_header))
