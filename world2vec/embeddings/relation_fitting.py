"""Relations from word pairs: resolve the words, measure each method, fit, and apply.

Why leave-one-out top-5: a user teaches a relation from a dozen or two pairs, too few
to set a test split aside; leaving each pair out in turn uses them all and still
scores every pair on a map that never saw it. Top-5 over the whole vocabulary (the
source word excluded) is what a user sees in ``GET /transform``: the right answer
among the first few. Each method's leave-one-out maps have a closed or batched form
(the mean without one difference; the ridge hat-matrix identity; one small SVD per
pair), so measuring costs about as much as one nearest-neighbour query per pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np

from world2vec.embeddings.relations import (
    METHODS,
    RelationError,
    RelationTransform,
    TooFewPairsError,
    UnknownRelationError,
    UnknownWordsError,
    canonical_method,
    fit_map,
    nearest_rotation,
    pair_span,
    top_k_hits,
    unit_rows,
)
from world2vec.embeddings.words.vectors import WordVectors

#: Fewest distinct pairs a relation is fitted from (leave-one-out then fits on two).
MIN_PAIRS = 3
#: The "top-5" of the reported accuracy.
ACCURACY_K = 5
RIDGE = 1e-2
#: Most pairs held out in turn when measuring (a fixed sample beyond it).
MAX_HELD_OUT = 300


class ConceptSpace(Protocol):
    """What a relation needs of a model: its concept vectors and its own relations."""

    words: WordVectors
    relations: dict[str, RelationTransform]


Space = ConceptSpace | WordVectors


def _words_of(space: Space) -> WordVectors:
    return space if isinstance(space, WordVectors) else space.words


# -- pairs ----------------------------------------------------------------------------------
def resolve_pairs(words: WordVectors, pairs: Iterable[Sequence[str]], *,
                  skip_unknown: bool = False) -> list[tuple[str, str]]:
    """The distinct pairs in the model's own spelling (``"Paris"`` -> ``"paris"``).

    A word counts as known when it is in the vocabulary: a relation taught from
    subword guesses would point at vectors no answer can ever be. Every unknown word
    is named at once (``UnknownWordsError``) unless ``skip_unknown`` drops its pairs
    (how a stored relation is fitted again on another model). A malformed pair is a
    ``RelationError`` naming its position.
    """
    if isinstance(pairs, (str, bytes, Mapping)) or not isinstance(pairs, Iterable):
        raise RelationError("pairs must be a list of [source, target] word pairs")
    kept: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    unknown: list[str] = []
    for position, pair in enumerate(pairs):
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2 \
                or not all(isinstance(w, str) and w.strip() for w in pair):
            raise RelationError(f"pair {position} must be two non-empty words, got {pair!r}")
        missing = [w for w in pair if w not in words]
        if missing:
            unknown += [w for w in missing if w not in unknown]
            continue
        resolved = (words.words[words.index(pair[0])], words.words[words.index(pair[1])])
        if resolved not in seen:
            seen.add(resolved)
            kept.append(resolved)
    if unknown and not skip_unknown:
        raise UnknownWordsError(unknown)
    if len(kept) < MIN_PAIRS:
        raise TooFewPairsError(len(kept), MIN_PAIRS)
    return kept


def _rows(words: WordVectors, pairs: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([words.index(a) for a, _ in pairs], dtype=np.int64),
            np.array([words.index(b) for _, b in pairs], dtype=np.int64))


# -- leave-one-out ----------------------------------------------------------------------------
def leave_one_out_maps(method: str, sources: np.ndarray, targets: np.ndarray,
                       rows: np.ndarray | None = None, ridge: float = RIDGE,
                       block: int = 64) -> np.ndarray:
    """Row j: source ``rows[j]`` (default: every row) mapped by ``method`` fitted on every
    pair but that one (unnormalized).

    Equal to refitting once per row (the tests check it), without the refits where a
    closed form exists: offset subtracts one difference from the sum; linear uses the
    ridge hat-matrix identity ``(y_hat_i - h_i y_i) / (1 - h_i)``; procrustes takes one
    small SVD per row, of ``X^T Y`` minus that pair's outer product, in the pairs' span
    (see ``relations.pair_span``), in batches.
    """
    method = canonical_method(method)
    x, y = unit_rows(sources), unit_rows(targets)
    n = len(x)
    if n < 2:
        raise TooFewPairsError(n, 2)
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    if method == "offset":
        diff = y - x
        return x[rows] + (diff.sum(axis=0) - diff[rows]) / (n - 1)
    if method == "linear":
        inverse = np.linalg.inv(x.T @ x + ridge * np.eye(x.shape[1]))
        xr = x[rows]
        fitted = xr @ (inverse @ (x.T @ y))
        leverage = np.einsum("ij,jk,ik->i", xr, inverse, xr)
        return (fitted - leverage[:, None] * y[rows]) / np.maximum(1.0 - leverage, 1e-9)[:, None]
    basis = pair_span(x, y)
    xq, yq = x @ basis, y @ basis
    cross = xq.T @ yq
    out = np.empty((len(rows), x.shape[1]))
    for start in range(0, len(rows), block):
        chunk = rows[start:start + block]
        xs, ys = xq[chunk], yq[chunk]
        rotations = nearest_rotation(cross[None] - xs[:, :, None] * ys[:, None, :])
        moved = np.einsum("bi,bij->bj", xs, rotations) - xs
        out[start:start + block] = x[chunk] + moved @ basis.T
    return out


def leave_one_out_accuracy(words: WordVectors, pairs: Sequence[tuple[str, str]],
                           method: str, k: int = ACCURACY_K,
                           max_held_out: int = MAX_HELD_OUT) -> float:
    """Share of known pairs whose target is among the ``k`` concepts nearest to the source
    mapped by ``method`` fitted on the other pairs (source excluded, whole vocabulary).

    Beyond ``max_held_out`` pairs, a fixed-seed sample of that many is held out in
    turn (each still against a map fitted on all the others): the same estimate, at a
    bounded cost, for relations of thousands of pairs.
    """
    src, tgt = _rows(words, pairs)
    rows = np.arange(len(src))
    if len(rows) > max_held_out:
        rows = np.sort(np.random.default_rng(0).choice(len(rows), max_held_out, replace=False))
    mapped = leave_one_out_maps(method, words.normed[src], words.normed[tgt], rows)
    return float(top_k_hits(words, mapped, src[rows], tgt[rows], k).mean())


def choose_method(words: WordVectors, pairs: Sequence[tuple[str, str]]
                  ) -> tuple[str, dict[str, float]]:
    """The method with the best leave-one-out top-5 on ``pairs``, and every method's score.

    Why measure instead of a rule: which map generalises depends on how many pairs
    there are and how regular the relation is. Few pairs favour the maps with few free
    parameters: the offset (one mean difference) and Procrustes with its tie-break
    (a rotation of the pairs' span, the rest of the space left alone); least squares
    fits the noise. Measured on the bundled model (``bench/bench_relations.py``,
    leave-one-out top-5, offset / procrustes / linear): country -> language from 18
    pairs 13 / 15 / 9, from 38 pairs 22 / 18 / 16; male -> female from 18 pairs
    12 / 12 / 6; WordNet's 34 country -> capital pairs 16 / 14 / 7. Neither simple map
    wins everywhere, so ``auto`` measures; with thousands of pairs a richer map can win
    (the bundled ``adverb`` kept least squares). Ties go to the simplest method
    (offset < procrustes < linear): the same score from fewer parameters.
    """
    scores = {m: leave_one_out_accuracy(words, pairs, m) for m in METHODS}
    best = METHODS[0]
    for method in METHODS[1:]:
        if scores[method] > scores[best] + 1e-12:
            best = method
    return best, scores


def fit_relation(space: Space, name: str, pairs: Iterable[Sequence[str]],
                 method: str = "auto", *, source: str = "user",
                 skip_unknown: bool = False) -> RelationTransform:
    """A relation fitted from word pairs on a model's concept vectors, with its accuracy.

    ``method``: ``"auto"`` (see :func:`choose_method`), ``"offset"``, ``"procrustes"``,
    ``"linear"`` (or the old ``"lstsq"``). Raises ``UnknownWordsError`` naming every
    word the model does not know, ``TooFewPairsError`` for fewer than three distinct
    usable pairs, ``RelationError`` for a malformed pair, ``ValueError`` for a bad
    method or name. The returned transform keeps the resolved pairs and its
    leave-one-out top-5 ``accuracy``; its ``method`` is the one used, never ``"auto"``.
    """
    words = _words_of(space)
    kept = resolve_pairs(words, pairs, skip_unknown=skip_unknown)
    if method == "auto":
        chosen, scores = choose_method(words, kept)
        accuracy = scores[chosen]
    else:
        chosen = canonical_method(method)
        accuracy = leave_one_out_accuracy(words, kept, chosen)
    src, tgt = _rows(words, kept)
    matrix = fit_map(chosen, words.normed[src], words.normed[tgt], RIDGE)
    return RelationTransform(name, matrix, chosen, kept, accuracy=accuracy, source=source)


# -- applying ---------------------------------------------------------------------------------
def resolve_relation(space: Space, relation: str | RelationTransform,
                     extra: Mapping[str, RelationTransform] | None = None) -> RelationTransform:
    """A transform given itself or by name: the model's own, then ``extra`` (a user's)."""
    if isinstance(relation, RelationTransform):
        return relation
    own = {} if isinstance(space, WordVectors) else space.relations
    found = own.get(relation) or (extra or {}).get(relation)
    if found is None:
        raise UnknownRelationError(relation)
    return found


def apply_relation(space: Space, relation: str | RelationTransform,
                   vector_or_word: str | np.ndarray,
                   extra: Mapping[str, RelationTransform] | None = None) -> np.ndarray:
    """The unit vector ``relation(concept)``, for ``capital(japan)`` in an expression.

    ``vector_or_word``: a concept (an unseen word is built from its subwords, as
    everywhere else; ``KeyError`` naming it if it cannot be) or a vector of the
    model's dimension. ``UnknownRelationError`` (a ``KeyError``) for an unknown name.
    """
    transform = resolve_relation(space, relation, extra)
    if isinstance(vector_or_word, str):
        if not vector_or_word.strip():
            raise KeyError(vector_or_word)
        vector = _words_of(space).vector(vector_or_word)[0]
    else:
        vector = np.asarray(vector_or_word, dtype=np.float32)
        if vector.shape != (transform.dim,):
            raise ValueError(f"vector has shape {vector.shape}, the relation ({transform.dim},)")
    return transform.apply(vector)


def transform(space: Space, relation: str | RelationTransform, concept: str, k: int = 10,
              extra: Mapping[str, RelationTransform] | None = None) -> list[tuple[str, float]]:
    """The ``k`` concepts nearest to ``relation(concept)``, best first, the input excluded:
    ``transform(model, "capital", "france")`` -> ``[("paris", 0.71), ...]``."""
    mapped = apply_relation(space, relation, concept, extra)
    return _words_of(space).nearest(mapped, k=k, exclude=(concept,))
