"""Looking concepts up in a model's vocabulary, with one typed error for an unknown one.

Why a module of its own: every caller that turns a concept into a vector (the service's
routes, arithmetic, a notebook) must say *which* word failed and offer close spellings.
``WordVectors.vector`` raises a bare ``KeyError``; these functions raise
:class:`UnknownConceptError`, which carries the word and its suggestions as attributes,
so nobody has to dig the word out of ``exc.args``.

Two strengths of lookup: :func:`concept_vector` accepts a word synthesized from its
subwords (similarity, encoding), :func:`known_vector` only a word the model learned
(arithmetic and analogies are defined over learned vectors).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from world2vec.embeddings.words.vectors import WordVectors

SUGGESTIONS = 5  # close spellings offered with an unknown concept


class UnknownConceptError(KeyError):
    """A concept the model cannot turn into a vector.

    A ``KeyError`` (``args[0]`` is the word) so callers that caught the vocabulary's
    ``KeyError`` keep working; ``word`` and ``suggestions`` (known words spelled
    alike, best first) are what new callers read.
    """

    def __init__(self, word: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(word)
        self.word = word
        self.suggestions = list(suggestions)

    def __str__(self) -> str:
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"unknown concept {self.word!r}{hint}"


def unknown_concept(words: WordVectors, word: str) -> UnknownConceptError:
    """The error for ``word``, with the vocabulary's close spellings as suggestions."""
    suggestions = words.suggest(word, SUGGESTIONS) if word else []
    return UnknownConceptError(word, suggestions)


def concept_vector(words: WordVectors, word: str) -> tuple[np.ndarray, bool]:
    """Unit float32 vector of ``word`` and whether it was synthesized from its subwords."""
    try:
        vector, synthesized = words.vector(word)
    except KeyError:
        raise unknown_concept(words, word) from None
    return np.asarray(vector, dtype=np.float32), bool(synthesized)


def concept_vectors(words: WordVectors, concepts: Sequence[str]) -> tuple[np.ndarray, list[bool]]:
    """Unit rows ``(len(concepts), dim)`` and a synthesized flag per concept.

    The first concept that cannot be encoded raises :class:`UnknownConceptError`.
    """
    if isinstance(concepts, str):
        raise TypeError("concept_vectors takes a list of concepts, not one string")
    rows = np.empty((len(concepts), words.dim), dtype=np.float32)
    synthesized: list[bool] = []
    for row, word in enumerate(concepts):
        rows[row], flag = concept_vector(words, word)
        synthesized.append(flag)
    return rows, synthesized


def known_vector(words: WordVectors, word: str) -> np.ndarray:
    """Unit float32 vector of a word the model learned; a synthesized one is refused."""
    if word not in words:
        raise unknown_concept(words, word)
    return np.asarray(words.vector(word)[0], dtype=np.float32)
