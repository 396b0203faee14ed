"""Concept lookups: unit vectors, synthesized words flagged, one typed error for the unknown."""

from __future__ import annotations

import numpy as np
import pytest
from feature_words import feature_words

from world2vec.embeddings.concepts import (
    UnknownConceptError,
    concept_vector,
    concept_vectors,
    known_vector,
)
from world2vec.embeddings.words.vectors import WordVectors


@pytest.fixture(scope="module")
def words() -> WordVectors:
    return feature_words()


def test_a_known_concept_is_its_unit_vector_and_not_synthesized(words):
    vec, synthesized = concept_vector(words, "cat")
    assert synthesized is False and vec.dtype == np.float32
    assert np.isclose(np.linalg.norm(vec), 1.0, atol=1e-5)
    assert np.array_equal(known_vector(words, "cat"), vec)


def test_an_unseen_word_is_synthesized_for_lookup_but_refused_for_arithmetic(words):
    vec, synthesized = concept_vector(words, "catlike")
    assert synthesized is True and np.isclose(np.linalg.norm(vec), 1.0, atol=1e-5)
    with pytest.raises(UnknownConceptError) as info:
        known_vector(words, "catlike")
    assert info.value.word == "catlike"


def test_the_unknown_concept_error_carries_the_word_and_close_spellings(words):
    with pytest.raises(UnknownConceptError) as info:
        known_vector(words, "qeen")
    exc = info.value
    assert exc.word == "qeen" and exc.suggestions[0] == "queen"
    assert str(exc) == f"unknown concept 'qeen'; did you mean {', '.join(exc.suggestions)}?"
    assert isinstance(exc, KeyError) and exc.args[0] == "qeen"  # old `except KeyError` still works
    assert str(UnknownConceptError("zzz")) == "unknown concept 'zzz'"


def test_a_word_with_nothing_to_build_from_is_unknown_without_ngrams():
    plain = WordVectors(["cat", "dog"], np.eye(2, dtype=np.float32))
    with pytest.raises(UnknownConceptError) as info:
        concept_vector(plain, "cow")
    assert info.value.word == "cow" and info.value.suggestions == []


def test_concept_vectors_are_rows_with_flags_and_name_the_first_unknown(words):
    rows, synthesized = concept_vectors(words, ["cat", "catlike", "war"])
    assert rows.shape == (3, words.dim) and rows.dtype == np.float32
    assert synthesized == [False, True, False]
    assert np.array_equal(rows[2], known_vector(words, "war"))
    assert concept_vectors(words, [])[0].shape == (0, words.dim)
    plain = WordVectors(["cat", "dog"], np.eye(2, dtype=np.float32))
    with pytest.raises(UnknownConceptError) as info:
        concept_vectors(plain, ["dog", "cow", "hen"])
    assert info.value.word == "cow"
    with pytest.raises(TypeError):
        concept_vectors(words, "cat")
