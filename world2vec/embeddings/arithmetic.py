"""Reasoning with concept vectors: weighted sums, analogies, allow/block classification.

Why here, below the service: these are rules about the vector space, not about HTTP.
The service's ``/compose``, ``/analogy`` and ``/filter`` are thin adapters over these
functions, and a Python or command-line user gets the very same answers::

    >>> from world2vec.embeddings.arithmetic import compose_similar
    >>> compose_similar(model.words, "king - man + woman", k=3)
    [('queen', 0.87...), ...]

Every function takes a loaded model's :class:`WordVectors` (``model.words``) or vectors
and plain values, returns plain values, and raises typed errors:
:class:`~world2vec.embeddings.concepts.UnknownConceptError` for a concept the model
does not know, :class:`~world2vec.embeddings.expressions.ExpressionError` for a
malformed expression, :class:`CompositionError` for a sum that comes to nothing,
:class:`~world2vec.embeddings.relations.UnknownRelationError` for a call
(``capital(japan)``) to a relation the caller did not supply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from world2vec.embeddings.concepts import concept_vectors, known_vector
from world2vec.embeddings.expressions import RelationCall, mentioned_concepts, parse_expression
from world2vec.embeddings.model import Model
from world2vec.embeddings.relations import UnknownRelationError
from world2vec.embeddings.words.vectors import WordVectors

ANALOGY_METHODS = ("add", "mul")
DEFAULT_THRESHOLD = 0.35  # cosine a text needs to be allowed or blocked by a concept
_NO_SCORE = (None, -2.0)  # below any cosine: what "no concept on this side" compares as

#: Applies a relation by name to a unit vector, giving a unit vector (a RelationBook's
#: ``apply``, or ``lambda name, v: apply_relation(model, name, v)``); it raises
#: ``UnknownRelationError`` for a name it does not know.
RelationApplier = Callable[[str, np.ndarray], np.ndarray]


class CompositionError(ValueError):
    """The weighted terms add up to no direction (all zero, or not finite)."""


def compose(words: WordVectors, terms: Mapping[str, float],
            relations: RelationApplier | None = None) -> np.ndarray:
    """The weighted sum of the terms' unit vectors (float32, not normalized).

    Terms must be words the model learned (``known_vector``): arithmetic on a vector
    guessed from spelling would answer with confidence it does not have. A
    :class:`RelationCall` term (``capital(japan)``) is its concept's vector mapped by
    ``relations``; why a callable: which relations exist (the model's own, a user's
    book) is the caller's business, and this module stays free of it. Without
    ``relations`` every call is an ``UnknownRelationError``.
    """
    total = np.zeros(words.dim, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below
        for term, weight in terms.items():
            total += np.float32(weight) * _term_vector(words, term, relations)
    if not np.any(total) or not np.all(np.isfinite(total)):
        raise CompositionError("the expression's vectors cancel out to nothing")
    return total


def _term_vector(words: WordVectors, term: str, relations: RelationApplier | None) -> np.ndarray:
    if not isinstance(term, RelationCall):
        return known_vector(words, term)
    inner = _term_vector(words, term.argument, relations)
    if relations is None:
        raise UnknownRelationError(term.relation)
    return np.asarray(relations(term.relation, inner), dtype=np.float32)


def compose_similar(words: WordVectors, expression: str | Mapping[str, float],
                    k: int = 10, relations: RelationApplier | None = None
                    ) -> list[tuple[str, float]]:
    """Concepts nearest to an expression (``"king - man + woman"``) or to ``{term: weight}``.

    The terms themselves are never among the results, nor the concepts inside relation
    calls (``capital(france)`` does not answer ``france``).
    """
    terms = parse_expression(expression) if isinstance(expression, str) else dict(expression)
    return words.nearest(compose(words, terms, relations), k, exclude=mentioned_concepts(terms))


def analogy(words: WordVectors, a: str, b: str, c: str, method: str = "add",
            k: int = 10) -> list[tuple[str, float]]:
    """a : b :: c : ?  by 3CosAdd (``add``) or 3CosMul (``mul``); a, b, c are excluded.

    All three must be words the model learned; the first that is not raises
    :class:`UnknownConceptError`.
    """
    for word in (a, b, c):
        known_vector(words, word)
    if method not in ANALOGY_METHODS:
        raise ValueError(f"unknown analogy method {method!r} (use 'add' or 'mul')")
    return [(word, float(score)) for word, score in words.analogy(a, b, c, method=method, k=k)]


@dataclass(frozen=True)
class Decision:
    """How one text was classified.

    ``decision`` is ``"allow"``, ``"block"`` or ``"neutral"``; ``concept`` is the concept
    that decided it (``None`` when neutral) and ``score`` its cosine (for a neutral text,
    the best cosine on either side); ``allow`` and ``block`` hold every concept's cosine.
    """

    decision: str
    concept: str | None
    score: float
    allow: dict[str, float]
    block: dict[str, float]


def classify(text_vectors: np.ndarray, allow: Sequence[str], allow_vectors: np.ndarray,
             block: Sequence[str], block_vectors: np.ndarray,
             threshold: float = DEFAULT_THRESHOLD) -> list[Decision]:
    """Allow, block or neither, per text, against named allow and block concepts.

    ``text_vectors`` holds one unit row per text, ``allow_vectors`` and ``block_vectors``
    one unit row per name in ``allow`` and ``block`` (shape ``(0, dim)`` for none).

    The rule: the best block concept blocks when its cosine reaches ``threshold`` and
    is at least the best allow cosine (a tie blocks: refusing is the safer mistake);
    otherwise the best allow concept allows when it reaches ``threshold``; otherwise
    the text is neutral.
    """
    concepts = np.vstack([allow_vectors, block_vectors]).astype(np.float32)
    scores = np.asarray(text_vectors, dtype=np.float32) @ concepts.T
    decisions = []
    for row in scores:
        allow_scores = {c: float(row[j]) for j, c in enumerate(allow)}
        block_scores = {c: float(row[len(allow) + j]) for j, c in enumerate(block)}
        best_allow = max(allow_scores.items(), key=_score, default=_NO_SCORE)
        best_block = max(block_scores.items(), key=_score, default=_NO_SCORE)
        if best_block[0] is not None and best_block[1] >= threshold \
                and best_block[1] >= best_allow[1]:
            decision, (concept, score) = "block", best_block
        elif best_allow[0] is not None and best_allow[1] >= threshold:
            decision, (concept, score) = "allow", best_allow
        else:
            decision, concept, score = "neutral", None, max(best_allow[1], best_block[1])
        decisions.append(Decision(decision, concept, score, allow_scores, block_scores))
    return decisions


def classify_texts(model: Model, texts: Sequence[str], allow: Sequence[str] = (),
                   block: Sequence[str] = (), threshold: float = DEFAULT_THRESHOLD
                   ) -> list[Decision]:
    """:func:`classify` for texts and concept names, encoded by ``model``."""
    if not allow and not block:
        raise ValueError("give at least one allow or block concept")
    return classify(model.encode_texts(list(texts)), allow, concept_vectors(model.words, allow)[0],
                    block, concept_vectors(model.words, block)[0], threshold)


def _score(pair: tuple[str, float]) -> float:
    return pair[1]
