"""The expression parser of concept arithmetic: weighted terms out, or an error saying where."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world2vec.embeddings.expressions import ExpressionError, parse_expression


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
