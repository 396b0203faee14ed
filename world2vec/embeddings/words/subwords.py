"""fastText-style subword n-grams: hashed character n-grams of ``<word>``.

Why: a word never seen in training ("kittycat", "catz") still shares n-grams
("<ki", "cat", "tz>") with words that were, so the mean of its n-gram vectors
lands near them. The hash is 32-bit FNV-1a over the n-gram's UTF-8 bytes
(as in fastText), taken modulo the bucket count; n-grams are counted in
characters, not bytes, so accented and non-Latin words work. A small bucket
count keeps a shipped model small, at the cost of more collisions.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def _ngram_hashes(data, offsets, min_n, max_n, buckets, out_ptr, out):
    """Hashes of all char n-grams of each word (bytes of "<word>" in ``data``).
    With ``out`` empty, only counts them into ``out_ptr``."""
    count_only = out.shape[0] == 0
    total = 0
    for w in range(offsets.shape[0] - 1):
        start = offsets[w]
        end = offsets[w + 1]
        for i in range(start, end):
            if (data[i] & 0xC0) == 0x80:  # not the first byte of a character
                continue
            h = np.uint32(2166136261)
            j = i
            n = 0
            while j < end and n < max_n:
                h = h ^ np.uint32(data[j])
                h = h * np.uint32(16777619)
                j += 1
                while j < end and (data[j] & 0xC0) == 0x80:
                    h = h ^ np.uint32(data[j])
                    h = h * np.uint32(16777619)
                    j += 1
                n += 1
                # skip the whole word itself ("<word>") and n-grams below min_n
                if n >= min_n and not (i == start and j == end):
                    if not count_only:
                        out[total] = np.int64(h % np.uint32(buckets))
                    total += 1
        out_ptr[w + 1] = total
    return total


def _encode(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    blobs = [f"<{w}>".encode() for w in words]
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in blobs], out=offsets[1:])
    data = np.frombuffer(b"".join(blobs), dtype=np.uint8) if blobs else np.zeros(0, np.uint8)
    return data, offsets


def ngram_buckets(words: list[str], min_n: int = 3, max_n: int = 6,
                  buckets: int = 2_000_000) -> tuple[np.ndarray, np.ndarray]:
    """CSR n-gram bucket ids of each word: ``(ptr int64[n+1], ids int64[...])``."""
    if not (1 <= min_n <= max_n):
        raise ValueError("n-gram sizes need 1 <= min_n <= max_n")
    if buckets < 1:
        raise ValueError("buckets must be >= 1")
    data, offsets = _encode(words)
    ptr = np.zeros(len(words) + 1, dtype=np.int64)
    total = _ngram_hashes(data, offsets, min_n, max_n, buckets, ptr, np.zeros(0, np.int64))
    out = np.zeros(total, dtype=np.int64)
    _ngram_hashes(data, offsets, min_n, max_n, buckets, ptr, out)
    return ptr, out


def word_ngram_buckets(word: str, min_n: int, max_n: int, buckets: int) -> np.ndarray:
    """Bucket ids of one word's n-grams (possibly empty for a one-letter word)."""
    ptr, ids = ngram_buckets([word], min_n, max_n, buckets)
    return ids


def input_rows(n_words: int, ptr: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each word's input rows for training: its own row, then ``n_words + bucket``
    for each n-gram (the n-gram matrix sits below the word matrix in ``syn0``)."""
    lengths = np.diff(ptr) + 1
    rows_ptr = np.zeros(n_words + 1, dtype=np.int64)
    np.cumsum(lengths, out=rows_ptr[1:])
    rows = np.empty(rows_ptr[-1], dtype=np.int32)
    rows[rows_ptr[:-1]] = np.arange(n_words, dtype=np.int32)
    mask = np.ones(len(rows), dtype=bool)
    mask[rows_ptr[:-1]] = False
    rows[mask] = (ids + n_words).astype(np.int32)
    return rows_ptr, rows


@njit(parallel=True, fastmath=True, cache=True)
def _row_means(matrix, ptr, rows, out):
    dim = matrix.shape[1]
    for w in prange(out.shape[0]):
        a, b = ptr[w], ptr[w + 1]
        acc = out[w]
        for j in range(dim):
            acc[j] = 0.0
        for k in range(a, b):
            row = matrix[rows[k]]
            for j in range(dim):
                acc[j] += row[j]
        inv = np.float32(1.0 / max(b - a, 1))
        for j in range(dim):
            acc[j] *= inv


def row_means(matrix: np.ndarray, ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mean of ``matrix[rows[ptr[i]:ptr[i + 1]]]`` for each i (float32; zero for an empty list).

    Why not ``np.add.reduceat(matrix[rows], ...)``: that gathers every listed row
    first, a temporary of hundreds of MB for a fastText-style vocabulary.
    """
    out = np.empty((len(ptr) - 1, matrix.shape[1]), dtype=np.float32)
    _row_means(matrix, ptr, rows, out)
    return out


def first_use_order(ids: np.ndarray, buckets: int) -> np.ndarray:
    """``slot[bucket]``: buckets numbered in the order ``ids`` first uses them, unused ones last.

    Why: with words listed most frequent first, the n-gram rows that training
    touches most often then sit together at the top of the table instead of
    being scattered by the hash over all of it, so they share cache lines, pages
    and TLB entries.
    """
    used, first = np.unique(ids, return_index=True)
    used = used[np.argsort(first, kind="stable")]
    unused = np.setdiff1d(np.arange(buckets, dtype=np.int64), used, assume_unique=True)
    slot = np.empty(buckets, dtype=np.int64)
    slot[np.concatenate([used, unused])] = np.arange(buckets, dtype=np.int64)
    return slot
