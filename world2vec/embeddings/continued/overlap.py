"""How much a continued training moved the known words: top-k neighbour overlap.

Why this measure: what users rely on is a word's neighbourhood (the answers of
/similar, the memories a text finds), not its coordinates. For each word, the share of
its k nearest neighbours before the training that are still among its k nearest after
it (new words may enter a neighbourhood and count as a change).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from world2vec.embeddings.words.vectors import WordVectors

__all__ = ["neighbour_overlap"]

BLOCK = 256


def _top_k(wv: WordVectors, rows: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k nearest words to each of ``rows`` (itself excluded), as a matrix."""
    normed = wv.normed
    out = np.empty((len(rows), k), dtype=np.int64)
    for start in range(0, len(rows), BLOCK):
        part = rows[start:start + BLOCK]
        scores = np.asarray(normed[part]) @ np.asarray(normed).T
        scores[np.arange(len(part)), part] = -np.inf
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        out[start:start + len(part)] = np.take_along_axis(top, order, axis=1)
    return out


def neighbour_overlap(before: WordVectors, after: WordVectors, words: Sequence[str] | None = None,
                      k: int = 10, sample: int = 1000) -> dict:
    """Mean and smallest top-``k`` overlap (0..1) over ``words`` (default: the ``sample``
    most frequent words of ``before`` that ``after`` knows too), and each word's own
    overlap when ``words`` are given."""
    if k < 1 or len(before) <= k or len(after) <= k:
        raise ValueError(f"k must be at least 1 and below both vocabulary sizes, got {k}")
    chosen = list(words) if words is not None else before.words[:sample]
    chosen = [w for w in chosen if w in before.key_to_index and w in after.key_to_index]
    if not chosen:
        return {"k": k, "words": 0, "mean": None, "min": None, "per_word": {}}
    old_rows = np.array([before.key_to_index[w] for w in chosen])
    new_rows = np.array([after.key_to_index[w] for w in chosen])
    old_top = _top_k(before, old_rows, k)
    new_top = _top_k(after, new_rows, k)
    overlaps = np.array([len({before.words[i] for i in a} & {after.words[j] for j in b}) / k
                         for a, b in zip(old_top, new_top)])
    result = {"k": k, "words": len(chosen), "mean": round(float(overlaps.mean()), 4),
              "min": round(float(overlaps.min()), 4), "per_word": {}}
    if words is not None:
        result["per_word"] = {w: float(o) for w, o in zip(chosen, overlaps)}
    return result
