"""Concept arithmetic below the service: compose, analogies, allow/block classification."""

from __future__ import annotations

import numpy as np
import pytest
from feature_words import feature_model, feature_words

from world2vec.embeddings.arithmetic import (
    CompositionError,
    analogy,
    classify,
    classify_texts,
    compose,
    compose_similar,
    concept_families,
    concept_family,
    family_scores,
)
from world2vec.embeddings.concepts import UnknownConceptError, known_vector
from world2vec.embeddings.expressions import ExpressionError


@pytest.fixture(scope="module")
def words():
    return feature_words()


def test_compose_is_the_weighted_sum_of_unit_vectors(words):
    total = compose(words, {"paris": 0.5, "france": -1.0, "italy": 1.0})
    expected = (0.5 * known_vector(words, "paris") - known_vector(words, "france")
                + known_vector(words, "italy"))
    assert total.dtype == np.float32 and np.allclose(total, expected, atol=1e-6)


def test_compose_similar_reasons_and_leaves_out_its_terms(words):
    hits = compose_similar(words, "king - man + woman", k=3)
    assert hits[0][0] == "queen" and not {"king", "man", "woman"} & {w for w, _ in hits}
    assert compose_similar(words, "paris - france + italy", k=1)[0][0] == "rome"
    assert compose_similar(words, {"king": 1.0, "man": -1.0, "woman": 1.0}, k=1) == hits[:1]
    # a term whose weights cancel is still left out of the answer
    assert "cat" not in {w for w, _ in compose_similar(words, "cat - cat + tiger", k=20)}


def test_compose_refuses_unknown_terms_sums_that_vanish_and_bad_expressions(words):
    with pytest.raises(UnknownConceptError) as info:
        compose_similar(words, "king - mann + woman")
    assert info.value.word == "mann" and "man" in info.value.suggestions
    with pytest.raises(UnknownConceptError):
        compose(words, {"catlike": 1.0})          # synthesized words are no arithmetic
    with pytest.raises(CompositionError, match="cancel out"):
        compose(words, {"cat": 0.0})
    with pytest.raises(CompositionError):
        compose(words, {"cat": 1e39})  # beyond float32: no direction either
    with pytest.raises(ExpressionError):
        compose_similar(words, "king * queen")


@pytest.mark.parametrize("method", ["add", "mul"])
def test_analogy_answers_and_excludes_its_inputs(words, method):
    hits = analogy(words, "man", "king", "woman", method=method, k=3)
    assert hits[0][0] == "queen" and len(hits) == 3
    assert not {"man", "king", "woman"} & {w for w, _ in hits}
    assert all(isinstance(s, float) for _, s in hits)


def test_analogy_names_the_first_unknown_word_and_refuses_a_bad_method(words):
    with pytest.raises(UnknownConceptError) as info:
        analogy(words, "man", "kingg", "womann")
    assert info.value.word == "kingg"
    with pytest.raises(ValueError, match="method"):
        analogy(words, "man", "king", "woman", method="div")


def _unit(*rows):
    m = np.asarray(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_classify_rule_block_wins_ties_allow_needs_the_threshold_else_neutral():
    allow_vecs = _unit([1, 0, 0])
    block_vecs = _unit([0, 1, 0])
    texts = _unit([1, 0.2, 0], [0.2, 1, 0], [1, 1, 0], [0, 0.1, 1], [0.3, 0, 1])
    decisions = classify(texts, ["sport"], allow_vecs, ["war"], block_vecs, threshold=0.35)
    assert [d.decision for d in decisions] == ["allow", "block", "block", "neutral", "neutral"]
    assert [d.concept for d in decisions] == ["sport", "war", "war", None, None]
    tie = decisions[2]
    assert tie.allow["sport"] == pytest.approx(tie.block["war"]) == pytest.approx(tie.score)
    assert decisions[3].score == pytest.approx(max(decisions[3].allow["sport"],
                                                   decisions[3].block["war"]))
    assert decisions[4].score == pytest.approx(decisions[4].allow["sport"])
    lenient = classify(texts, ["sport"], allow_vecs, ["war"], block_vecs, threshold=0.05)
    assert lenient[3].decision == "block" and lenient[4].decision == "allow"


def test_classify_with_only_one_side():
    texts = _unit([1, 0.1], [0, 1])
    only_block = classify(texts, [], np.zeros((0, 2)), ["war"], _unit([1, 0]), threshold=0.5)
    assert [d.decision for d in only_block] == ["block", "neutral"]
    assert only_block[0].allow == {}
    only_allow = classify(texts, ["sport"], _unit([0, 1]), [], np.zeros((0, 2)), threshold=0.5)
    assert [d.decision for d in only_allow] == ["neutral", "allow"]


def test_classify_texts_encodes_texts_and_concepts_with_the_model():
    model = feature_model()
    decisions = classify_texts(model, ["a football match", "war attack", "the rain"],
                               allow=["football"], block=["war"])
    assert [d.decision for d in decisions] == ["allow", "block", "neutral"]
    assert decisions[0].concept == "football" and decisions[1].concept == "war"
    with pytest.raises(ValueError):
        classify_texts(model, ["a football match"])
    decisions = classify_texts(model, ["a goal"], allow=["zzzz", "match"])
    assert decisions[0].concept == "match"  # an unseen concept is synthesized, not refused
    assert set(decisions[0].allow) == {"zzzz", "match"}


def test_a_concept_family_is_the_concept_and_its_close_neighbours_only(words):
    family = concept_family(words, "war", neighbours=20)
    np.testing.assert_allclose(family[0], known_vector(words, "war"), atol=1e-6)
    near = family[1:] @ known_vector(words, "war")
    assert len(family) > 1 and (near >= 0.5).all()       # unrelated words stay out
    assert len(concept_family(words, "war", neighbours=0)) == 1
    with pytest.raises(UnknownConceptError):
        concept_families(words, ["war", ""])


def test_family_scores_average_a_texts_best_cosines_in_each_family():
    texts = _unit([1, 0, 0], [0, 1, 0])
    family = _unit([0, 0, 1], [1, 0, 0], [0.8, 0.6, 0])
    scores = family_scores(texts, [family], top=2)
    np.testing.assert_allclose(scores[:, 0], [(1.0 + 0.8) / 2, (0.6 + 0.0) / 2], atol=1e-6)
    plain = family_scores(texts, _unit([0.6, 0.8, 0]))   # one row per concept: the cosine
    np.testing.assert_allclose(plain[:, 0], [0.6, 0.8], atol=1e-6)


def test_a_text_near_a_blocked_concepts_neighbour_is_blocked():
    texts = _unit([1, 0.05, 0])                           # near "assault", far from "violence"
    violence = _unit([0.3, 0.2, 0.93])
    family = np.vstack([violence, _unit([1, 0, 0]), _unit([0.9, 0.1, 0.4])])
    alone = classify(texts, [], np.zeros((0, 3)), ["violence"], violence, threshold=0.5)
    widened = classify(texts, [], np.zeros((0, 3)), ["violence"], [family], threshold=0.5,
                       top=2)
    assert (alone[0].decision, widened[0].decision) == ("neutral", "block")
    assert widened[0].block["violence"] == widened[0].score > 0.5
