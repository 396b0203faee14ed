"""The expression parser of concept arithmetic: weighted terms out, or an error saying where;
relation calls (``capital(france)``) parsed, then applied by ``compose``."""

from __future__ import annotations

import numpy as np
import pytest
from feature_words import feature_words
from hypothesis import given, settings
from hypothesis import strategies as st

from world2vec.embeddings.arithmetic import compose, compose_similar
from world2vec.embeddings.concepts import UnknownConceptError, known_vector
from world2vec.embeddings.expressions import (
    ExpressionError,
    RelationCall,
    mentioned_concepts,
    parse_expression,
)
from world2vec.embeddings.relations import UnknownRelationError


@pytest.mark.parametrize("text,terms", [
    ("king - man + woman", {"king": 1.0, "man": -1.0, "woman": 1.0}),
    ("0.5*paris", {"paris": 0.5}),
    ("paris*0.5 + rome/4", {"paris": 0.5, "rome": 0.25}),
    ("-(a - b)", {"a": -1.0, "b": 1.0}),
    ("2*(a + 0.5*(b - c))", {"a": 2.0, "b": 1.0, "c": -1.0}),
    ("a + a", {"a": 2.0}),
    ('"t-shirt" - "new  york"', {"t-shirt": 1.0, "new york": -1.0}),
    ("1e-1*x", {"x": 0.1}),
    ("t-shirt", {"t": 1.0, "shirt": -1.0}),
])
def test_expressions_parse_to_weighted_terms(text, terms):
    assert parse_expression(text) == pytest.approx(terms)


def test_terms_come_in_order_of_first_appearance_and_cancelled_ones_stay():
    assert list(parse_expression("b + a - b + b")) == ["b", "a"]
    assert parse_expression("a - a + b") == {"a": 0.0, "b": 1.0}


@pytest.mark.parametrize("text,position", [
    ("king * queen", 5), ("king + 2", 5), ("(a - b", 6), ("a - b)", 5), ("a b", 2),
    ("", 0), ("3", 0), ("a - a", 0), ('"open', 0), ("a / 0", 2), ("a / b", 2),
    ("a +", 3), ("*a", 0),
])
def test_malformed_expressions_say_where(text, position):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert info.value.position == position
    assert f"(at character {position + 1})" in str(info.value)


def test_an_expression_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_expression("king * queen")


def test_deep_nesting_and_long_expressions_are_refused_not_crashed():
    with pytest.raises(ExpressionError):
        parse_expression("(" * 200 + "a" + ")" * 200)
    with pytest.raises(ExpressionError):
        parse_expression("-" * 500 + "a")
    with pytest.raises(ExpressionError):
        parse_expression(" + ".join(f"w{i}" for i in range(101)))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab12.+-*/() \"e", max_size=40))
def test_the_parser_only_ever_returns_terms_or_raises_expression_error(text):
    try:
        terms = parse_expression(text)
    except ExpressionError:
        return
    assert terms and all(isinstance(k, str) and isinstance(v, float) for k, v in terms.items())


# -- relation calls ----------------------------------------------------------------------------
@pytest.mark.parametrize("text,terms", [
    ("capital(japan)", {"capital(japan)": 1.0}),
    ("capital(france) - france + italy", {"capital(france)": 1.0, "france": -1.0, "italy": 1.0}),
    ("0.5*capital(france)", {"capital(france)": 0.5}),
    ("-(capital(a) - b)/2", {"capital(a)": -0.5, "b": 0.5}),
    ("capital(a) + capital(a)", {"capital(a)": 2.0}),
    ("capital (a)", {"capital(a)": 1.0}),
    ('capital("new  york")', {"capital(new york)": 1.0}),
    ("plural(capital(france))", {"plural(capital(france))": 1.0}),
])
def test_relation_calls_are_terms_of_their_own(text, terms):
    parsed = parse_expression(text)
    assert parsed == pytest.approx(terms)
    calls = [t for t in parsed if "(" in t]
    assert calls and all(isinstance(t, RelationCall) for t in calls)


def test_a_call_carries_its_relation_and_concept():
    (call,) = parse_expression("plural(capital(france))")
    assert call.relation == "plural" and call.argument == "capital(france)"
    assert call.argument.relation == "capital" and call.concept == "france"
    assert mentioned_concepts(parse_expression("capital(france) - france + italy")) \
        == ["france", "italy"]
    assert mentioned_concepts(parse_expression("king - man")) == ["king", "man"]


@pytest.mark.parametrize("text,position", [
    ("capital()", 8), ("capital(2*a)", 8), ("capital(a - b)", 10), ("capital(a", 9),
    ("capital(a b)", 10), ('"capital"(a)', 9), ("2(a)", 1), ("capital((a))", 8),
    ("__import__('os')", 0), ("a + os.system(x)", 4), ("capital(é(a))", 8),
])
def test_malformed_calls_say_where(text, position):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert info.value.position == position


def test_nested_calls_are_bounded_like_parentheses():
    with pytest.raises(ExpressionError):
        parse_expression("f(" * 40 + "a" + ")" * 40)


@pytest.fixture(scope="module")
def words():
    return feature_words()


def test_compose_maps_a_call_through_the_relations_it_is_given(words):
    seen = []

    def capital(name, vector):  # a relation that takes any country to rome
        if name != "capital":
            raise UnknownRelationError(name)
        seen.append(vector)
        return known_vector(words, "rome")

    total = compose(words, parse_expression("0.5*capital(france) + italy"), relations=capital)
    assert np.allclose(seen[0], known_vector(words, "france"))
    assert np.allclose(total, 0.5 * known_vector(words, "rome") + known_vector(words, "italy"),
                       atol=1e-6)
    found = [w for w, _ in compose_similar(words, "capital(france)", k=3, relations=capital)]
    assert found[0] == "rome" and "france" not in found  # the concept inside is an input too
    with pytest.raises(UnknownRelationError):
        compose(words, parse_expression("capitol(france)"), relations=capital)
    with pytest.raises(UnknownConceptError):
        compose(words, parse_expression("capital(frnace)"), relations=capital)
    with pytest.raises(UnknownRelationError):  # no relations given: none is known
        compose(words, parse_expression("capital(france)"))
