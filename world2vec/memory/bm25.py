"""Okapi BM25 over stored texts: the lexical half of hybrid retrieval.

Dense sentence vectors capture paraphrase but blur rare exact terms (a package
name, an error code); BM25 catches exactly those. The index is incremental in the
same way as the vector index: documents are appended by row, deleted rows are
skipped at query time, and a compaction (rows renumbered) triggers a rebuild.
Postings are numpy arrays per term, so a query costs a few vector operations per
query term rather than a loop over documents.

Terms are tokens folded by a light suffix stripper (:func:`stem`): a question asks
"how do I install packages" of a text that says "installing a package". On the
FAQ sets of ``bench/bench_search_modes.py`` it raised BM25's MRR@10 from 0.589 to
0.652 (zlib + procps FAQs) and from 0.480 to 0.533 (Debian FAQ); tokens with digits
or punctuation (``x86-64``, ``libc6``) are kept as they are.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

TOKEN_RE = re.compile(r"[a-z0-9]+(?:['.\-+][a-z0-9]+)*")
STOPWORDS = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "do", "does", "for", "from", "had",
    "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "of", "on", "or", "that",
    "the", "their", "then", "there", "these", "this", "to", "was", "were", "what", "when", "where",
    "which", "who", "why", "will", "with", "you", "your", "can", "my", "me", "we", "our",
])


_VOWELS = frozenset("aeiouy")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stopwords (kept: numbers, 'x86-64', 'dpkg's')."""
    return [t for t in TOKEN_RE.findall(text.lower()) if t not in STOPWORDS]


def stem(token: str) -> str:
    """Fold inflections of an English word to one term: plural, -ing, -ed, final e.

    Deliberately light (no derivational suffixes such as -ation or -er, which join
    words of different meaning): packages/package -> packag, installing/installed ->
    install, libraries -> library, running -> run. Short or non-alphabetic tokens
    are returned unchanged; a possessive 's is dropped first.
    """
    if token.endswith("'s"):
        token = token[:-2]
    if len(token) <= 3 or not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        token = token[:-3] + "y"
    elif token.endswith("es") and token[:-2].endswith(("x", "ch", "sh", "ss", "zz")):
        token = token[:-2]
    elif token.endswith("s") and not token.endswith(("ss", "us", "is")):
        token = token[:-1]
    for suffix in ("ing", "ed"):
        base = token[:-len(suffix)]
        if token.endswith(suffix) and len(base) >= 3 and _VOWELS & set(base):
            token = base[:-1] if base[-1] == base[-2] and base[-1] not in "lsz" else base
            break
    if token.endswith("e") and len(token) > 3:
        token = token[:-1]
    return token


def terms(text: str) -> list[str]:
    """The BM25 terms of a text: its tokens (:func:`tokenize`), stemmed."""
    return [stem(t) for t in tokenize(text)]


class BM25:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.lengths: list[int] = []
        self._postings: dict[str, tuple[list[int], list[int]]] = {}
        self._frozen: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._total_length = 0
        self._length_array: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.lengths)

    def add(self, texts: Iterable[str | None]) -> None:
        """Append documents; document i is the i-th added (the store's row)."""
        for text in texts:
            doc = len(self.lengths)
            self._length_array = None
            tokens = terms(text or "")
            self.lengths.append(len(tokens))
            self._total_length += len(tokens)
            for term, tf in Counter(tokens).items():
                docs, tfs = self._postings.setdefault(term, ([], []))
                docs.append(doc)
                tfs.append(tf)
                self._frozen.pop(term, None)

    def _posting(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        frozen = self._frozen.get(term)
        if frozen is None:
            raw = self._postings.get(term)
            if raw is None:
                return None
            frozen = self._frozen[term] = (np.asarray(raw[0], dtype=np.int64),
                                           np.asarray(raw[1], dtype=np.float64))
        return frozen

    def scores(self, query: str, live: np.ndarray | None = None) -> dict[int, float]:
        """BM25 score of every document sharing a term with ``query`` (dead ones skipped)."""
        n = len(self.lengths)
        if n == 0:
            return {}
        avg = self._total_length / n or 1.0
        if self._length_array is None:
            self._length_array = np.asarray(self.lengths, dtype=np.float64)
        lengths = self._length_array
        total = np.zeros(n, dtype=np.float64)
        touched = np.zeros(n, dtype=bool)
        for term in set(terms(query)):
            posting = self._posting(term)
            if posting is None:
                continue
            docs, tfs = posting
            idf = math.log(1.0 + (n - docs.size + 0.5) / (docs.size + 0.5))
            norm = tfs + self.k1 * (1.0 - self.b + self.b * lengths[docs] / avg)
            total[docs] += idf * tfs * (self.k1 + 1.0) / norm
            touched[docs] = True
        if live is not None:
            touched[: live.shape[0]] &= live[:n]
        rows = np.flatnonzero(touched)
        return dict(zip(rows.tolist(), total[rows].tolist()))

    def top(self, query: str, k: int, live: np.ndarray | None = None) -> list[tuple[int, float]]:
        scored = self.scores(query, live)
        return sorted(scored.items(), key=lambda p: (-p[1], p[0]))[:k]
