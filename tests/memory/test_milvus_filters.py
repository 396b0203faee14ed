"""The Milvus backend's filters: every filter (or/not nested) selects in Milvus exactly the
items the reference semantics select; strings survive quoting; range tokens tile ranges."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mem_helpers import DIM
from test_filters import KINDS, TAGS, filter_st

from world2vec.memory import ValidationError

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from world2vec.memory.milvus.expressions import parse_tree
from world2vec.memory.milvus.filterkeys import (
    key_bounds,
    number_key,
    number_tokens,
    range_tokens,
)

tree_st = st.recursive(
    filter_st,
    lambda inner: st.one_of(
        st.builds(lambda base, alts: {**base, "or": alts}, filter_st,
                  st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda base, neg: {**base, "not": neg}, filter_st, inner)),
    max_leaves=6)


def _random_item(rng, i):
    def scalar():
        choices = [int(rng.integers(-3, 4)), 0.5, 1.0, -0.0, 2.5, "a", "b", True, False, None]
        return choices[rng.integers(len(choices))]
    payload = {}
    for name in ("x", "y"):
        if rng.random() < 0.7:
            payload[name] = scalar() if rng.random() < 0.6 else [scalar() for _ in range(3)]
    return {"id": f"f{i}", "kind": KINDS[rng.integers(3)], "vector": rng.normal(size=DIM).tolist(),
            "tags": [t for t in TAGS if rng.random() < 0.35], "payload": payload}


@pytest.fixture(scope="module")
def filled(milvus_collections):
    """One collection reused by every example (the filter is the variable, not the data)."""
    rng = np.random.default_rng(5)
    items = [_random_item(rng, i) for i in range(200)]
    if "filters" in milvus_collections:
        milvus_collections.delete("filters")
    store = milvus_collections.create("filters", dim=DIM, model=None).store
    store.add(items[:120])
    store.add(items[120:])           # two writes: more than one segment to merge
    store.delete_many(["f0", "f1"])
    yield store, [it for it in items if it["id"] not in ("f0", "f1")]
    milvus_collections.delete("filters")


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(flt=tree_st, k=st.integers(1, 210), seed=st.integers(0, 1000))
def test_milvus_selects_what_the_reference_semantics_select(filled, flt, k, seed):
    store, items = filled
    tree = parse_tree(flt)
    passing = [it for it in items if tree.matches(it["kind"], it["tags"], it["payload"])]
    page, cursor = store.scroll(limit=1000, filter=flt)
    assert cursor is None
    assert sorted(it.id for it in page) == sorted(it["id"] for it in passing)
    assert store.count(flt) == len(passing)
    query = np.random.default_rng(seed).normal(size=DIM)
    hits = store.search(query, k=k, filter=flt)
    vecs = np.array([it["vector"] for it in passing]).reshape(-1, DIM)
    vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    scores = vecs @ (query / np.linalg.norm(query))
    expected = sorted(zip(scores, [it["id"] for it in passing]), key=lambda p: -p[0])[:k]
    assert len(hits) == min(k, len(passing))        # k hits whenever k items match
    assert [h.id for h in hits] == [i for _, i in expected] or np.allclose(
        [h.score for h in hits], [s for s, _ in expected], atol=1e-5)   # ties may swap


def test_or_and_not_compose_as_documented(filled):
    store, items = filled
    red = {"tags": {"all": ["red"]}}
    facts = {"kind": "fact"}
    n_red = sum("red" in it["tags"] for it in items)
    n_fact = sum(it["kind"] == "fact" for it in items)
    n_both = sum("red" in it["tags"] and it["kind"] == "fact" for it in items)
    assert store.count({"or": [red, facts]}) == n_red + n_fact - n_both
    assert store.count({"not": red}) == len(items) - n_red
    assert store.count({**facts, "not": red}) == n_fact - n_both
    assert store.count({"not": {"not": red}}) == n_red


@pytest.mark.parametrize("bad, words", [
    ({"or": []}, "non-empty list"), ({"or": {"kind": "a"}}, "non-empty list"),
    ({"or": ["x"]}, "filter object"), ({"not": []}, "filter object"),
    ({"not": {"knd": 1}}, "unknown key"),
])
def test_malformed_or_and_not_are_validation_errors(filled, bad, words):
    store, _ = filled
    with pytest.raises(ValidationError, match=words):
        store.count(bad)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=12))
def test_any_string_survives_quoting_in_ids_kinds_and_tags(milvus_collections, text):
    """Quotes, backslashes, newlines, NUL, emoji: an id, a kind and a tag each match
    exactly themselves in the expressions they appear in."""
    assume(text != "other")
    if "quoting" not in milvus_collections:
        milvus_collections.create("quoting", dim=2, model=None)
    store = milvus_collections.get("quoting").store
    store.upsert([{"id": text, "vector": [1.0, 0.0], "kind": text, "tags": [text]},
                  {"id": text + "x", "vector": [0.0, 1.0], "kind": "other", "tags": ["other"]}])
    assert text in store and store.get(text).kind == text
    assert [h.id for h in store.search([1.0, 0.0], k=5, filter={"kind": text})] == [text]
    assert [h.id for h in store.search([1.0, 0.0], k=5, filter={"tags": {"any": [text]}})] == [text]
    page, _ = store.scroll(limit=1, cursor=text)
    assert [it.id for it in page] == [text + "x"]       # the next id after the cursor
    assert store.delete_many([text, text + "x"]) == 2


numbers = st.one_of(st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False))


@given(x=numbers, low=st.one_of(st.none(), numbers), high=st.one_of(st.none(), numbers),
       low_inc=st.booleans(), high_inc=st.booleans())
def test_range_tokens_tile_a_range_exactly(x, low, high, low_inc, high_inc):
    """A number is in a range exactly when one of its tokens is among the range's."""
    inside = (low is None or x > low or (low_inc and x == low)) and \
        (high is None or x < high or (high_inc and x == high))
    lo, hi = key_bounds(low, low_inc, high, high_inc)
    covered = set(range_tokens("f", lo, hi)) if lo <= hi else set()
    assert bool(covered & set(number_tokens("f", x))) == inside
    assert len(covered) <= 2 * 15 * 16 + 1


def test_number_keys_sort_as_numbers():
    values = [-1e308, -2.5, -1.0, -5e-324, 0.0, 5e-324, 1.0, 2, 3.5, 1e308]
    assert [number_key(v) for v in values] == sorted(number_key(v) for v in values)
    assert number_key(-0.0) == number_key(0.0)
