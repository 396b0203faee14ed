"""The bundled default model: loaded when no path is given, and it knows what a cat is."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings import load_model
from world2vec.embeddings.words.vectors import ModelFormatError


@pytest.fixture(scope="module")
def model():
    return load_model()


def test_default_model_loads_with_its_components(model):
    assert model.dim > 0 and len(model.words) > 10000
    assert model.default_sentence in model.sentence_encoders
    assert "reverse_dictionary" in model.sentence_encoders
    assert model.relations, "the default model ships relation transforms"
    assert model.events_path is not None


def test_cat_neighbours_include_dog(model):
    neighbours = [w for w, _ in model.words.most_similar(["cat"], k=10)]
    assert "dog" in neighbours


def test_king_minus_man_plus_woman_gives_queen(model):
    answers = [w for w, _ in model.words.analogy("man", "king", "woman", k=5)]
    assert "queen" in answers


def test_a_description_lands_next_to_its_concept(model):
    vec = model.encode_texts(["a small domesticated carnivorous mammal with soft fur, "
                              "kept as a pet to catch mice"])[0]
    assert vec.dtype == np.float32 and abs(float(np.linalg.norm(vec)) - 1) < 1e-4
    top = [w for w, _ in model.words.nearest(vec, k=10)]
    assert "cat" in top


def test_unseen_word_is_synthesized_and_flagged(model):
    vecs, synthesized = model.encode_concepts(["cat", "kittycatz"])
    assert synthesized == [False, True]
    assert vecs.shape == (2, model.dim)


def test_a_new_object_joins_near_its_concepts(model):
    vec = model.encode_objects([{"id": "tom", "features": ["fur", "whiskers", "purrs"],
                                 "relations": [["is_a", "cat"]]}])[0]
    top = [w for w, _ in model.words.nearest(vec, k=20)]
    assert "cat" in top


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ModelFormatError, match="not found"):
        load_model(str(tmp_path / "nope"))
