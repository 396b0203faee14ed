"""gensim's ``save_word2vec_format`` / ``load_word2vec_format`` over world2vec's file formats.

Why apart from the formats: gensim's signatures carry options of their own (a vocabulary
file of counts, a word prefix, appending, a header-less write) that map onto the
general writer and reader in ``words/formats.py``; this module does that mapping.
"""

from __future__ import annotations

import os

import numpy as np

from world2vec.embeddings.words.formats import read_vectors, write_word2vec
from world2vec.embeddings.words.vectors import WordVectors


def save(source: WordVectors, fname: str | os.PathLike, *, fvocab: str | os.PathLike | None = None,
         binary: bool = False, total_vec: int | None = None, write_header: bool = True,
         prefix: str = "", append: bool = False, sort_attr: str = "count") -> None:
    """Write ``source`` most frequent first (stable for equal counts), as gensim does."""
    if sort_attr != "count":
        raise ValueError(f"cannot sort by {sort_attr!r}: world2vec keeps 'count' only")
    counts = np.asarray(source.counts)
    order = np.argsort(-counts, kind="stable")
    identity = bool(np.array_equal(order, np.arange(len(order))))
    words = source.words if identity else [source.words[i] for i in order]
    vectors = source.vectors if identity else np.asarray(source.vectors)[order]
    if fvocab is not None:
        with open(fvocab, "ab" if append else "wb") as f:
            f.write("".join(f"{prefix}{w} {int(c)}\n" for w, c in zip(words, counts[order]))
                    .encode("utf-8"))
    write_word2vec(words, vectors, fname, binary=binary, header=write_header, total=total_vec,
                   prefix=prefix, append=append)


def load(fname: str | os.PathLike, *, fvocab: str | os.PathLike | None = None,
         binary: bool = False, encoding: str = "utf8", unicode_errors: str = "strict",
         limit: int | None = None, no_header: bool = False) -> WordVectors:
    """Read a word2vec file; counts come from ``fvocab`` (``word count`` lines) when given."""
    if binary and no_header:
        raise NotImplementedError("no_header only available for text-format files")
    fmt = "word2vec-binary" if binary else "word2vec-text"
    source = read_vectors(fname, fmt, limit=limit, encoding=encoding, errors=unicode_errors)
    if fvocab is not None:
        counts: dict[str, int] = {}
        with open(fvocab, encoding=encoding, errors=unicode_errors) as f:
            for line in f:
                word, _, count = line.rstrip("\n").rpartition(" ")
                if word:
                    counts[word] = int(count)
        source.counts = np.array([counts.get(w, 0) for w in source.words], dtype=np.int64)
    return source
