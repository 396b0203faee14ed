"""Unseen words get vectors from their spelling neighbours (models with fitted n-grams)."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings import load_model
from world2vec.embeddings.words.subword_neighbours import NgramNeighbourIndex


def test_spelling_neighbours_rank_shared_ngrams_first():
    words = ["cat", "cats", "dog", "bicycle", "cyclist", "happiness", "unhappy"]
    index = NgramNeighbourIndex(words)
    rows, scores = index.ranked("catz")
    assert [words[i] for i in rows[:2]] == ["cat", "cats"]
    assert np.all(np.diff(scores) <= 0)
    rows, _ = index.ranked("bicyclist")
    assert {words[i] for i in rows[:2]} == {"bicycle", "cyclist"}


def test_synthesized_vector_follows_the_best_match():
    words = ["cat", "dog", "zebra"]
    unit = np.eye(3, dtype=np.float32)
    vector = NgramNeighbourIndex(words).synthesize("catz", unit)
    assert vector is not None
    assert int(np.argmax(vector)) == 0
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_a_word_like_nothing_known_is_refused():
    words = ["cat", "dog", "zebra"]
    assert NgramNeighbourIndex(words).synthesize("qqqqxw", np.eye(3, dtype=np.float32)) is None


@pytest.fixture(scope="module")
def default_words():
    return load_model().words


@pytest.mark.parametrize("unseen, expected", [
    ("catz", {"cat"}), ("dogz", {"dog"}), ("kittycat", {"kitty", "kitten"}),
    ("bicyclist", {"cyclist", "bicycling", "cycling"}),
])
def test_default_model_unseen_words_land_near_what_they_spell(default_words, unseen, expected):
    assert unseen not in default_words
    vector, synthesized = default_words.vector(unseen)
    assert synthesized
    neighbours = {word for word, _ in default_words.nearest(vector, 5)}
    assert neighbours & expected, neighbours


def test_default_model_refuses_gibberish(default_words):
    with pytest.raises(KeyError):
        default_words.vector("qqqqxz")
