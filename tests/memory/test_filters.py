"""Filters: parsing errors are clear; compiled filters equal the brute-force definition."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mem_helpers import DIM

from world2vec.memory import MemoryStore, ValidationError, parse_filter

KINDS = ["fact", "qa", "concept"]
TAGS = ["red", "blue", "green", "big"]
SCALARS = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, 1.0, "a", "b", True, False, None]))

bound = st.one_of(st.integers(-3, 3), st.floats(-3, 3, allow_nan=False))
clause_st = st.one_of(
    SCALARS,
    st.fixed_dictionaries({"eq": SCALARS}), st.fixed_dictionaries({"ne": SCALARS}),
    st.fixed_dictionaries({"in": st.lists(SCALARS, min_size=1, max_size=3)}),
    st.fixed_dictionaries({}, optional={"gte": bound, "lt": bound}).filter(bool),
    st.fixed_dictionaries({}, optional={"gt": bound, "lte": bound}).filter(bool),
)
leaf_filter_st = st.fixed_dictionaries({}, optional={
    "kind": st.one_of(st.sampled_from(KINDS), st.lists(st.sampled_from(KINDS + ["none"]),
                                                      min_size=1, max_size=2)),
    "tags": st.fixed_dictionaries({}, optional={
        k: st.lists(st.sampled_from(TAGS + ["absent"]), max_size=2) for k in ("all", "any", "none")}),
    "payload": st.dictionaries(st.sampled_from(["x", "y", "z"]), clause_st, max_size=2),
})


def _with_logic(children):
    """A leaf filter with an ``or`` of child filters and/or a ``not`` of one (nested)."""
    return st.tuples(leaf_filter_st, st.one_of(st.none(), st.lists(children, min_size=1,
                                                                   max_size=3)),
                     st.one_of(st.none(), children)).map(
        lambda parts: {**parts[0], **({"or": parts[1]} if parts[1] is not None else {}),
                       **({"not": parts[2]} if parts[2] is not None else {})})


filter_st = st.recursive(leaf_filter_st, _with_logic, max_leaves=8)


def _random_item(rng, i):
    def scalar():
        choices = [int(rng.integers(-3, 4)), 0.5, 1.0, "a", "b", True, False, None]
        return choices[rng.integers(len(choices))]
    payload = {}
    for name in ("x", "y"):
        if rng.random() < 0.7:
            payload[name] = scalar() if rng.random() < 0.7 else [scalar() for _ in range(3)]
    return {"id": f"f{i}", "kind": KINDS[rng.integers(3)], "vector": rng.normal(size=DIM).tolist(),
            "tags": [t for t in TAGS if rng.random() < 0.35], "payload": payload}


@pytest.fixture(scope="module", params=["gathered", "selector"])
def filled(tmp_path_factory, request):
    """One store reused by every example (the filter is the variable, not the data).
    "selector" forces FAISS's IDSelectorBitmap path instead of gathering few rows."""
    from world2vec.memory import searching
    rng = np.random.default_rng(5)
    items = [_random_item(rng, i) for i in range(200)]
    saved = searching.GATHER_ROWS
    searching.GATHER_ROWS = 20_000 if request.param == "gathered" else 0
    store = MemoryStore.open(str(tmp_path_factory.mktemp("filters")), DIM, index="flat",
                             background=False)
    store.add(items)
    store.delete_many(["f0", "f1"])
    yield store, [it for it in items if it["id"] not in ("f0", "f1")]
    store.close()
    searching.GATHER_ROWS = saved


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=filter_st, k=st.integers(1, 210), seed=st.integers(0, 1000))
def test_filtered_search_equals_brute_force(filled, flt, k, seed):
    store, items = filled
    parsed = parse_filter(flt)
    passing = [it for it in items if parsed.matches(it["kind"], it["tags"], it["payload"])]
    query = np.random.default_rng(seed).normal(size=DIM)
    hits = store.search(query, k=k, filter=flt)
    vecs = np.array([it["vector"] for it in passing]).reshape(-1, DIM)
    vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    scores = vecs @ (query / np.linalg.norm(query))
    expected = sorted(zip(scores, [it["id"] for it in passing]), key=lambda p: -p[0])[:k]
    assert len(hits) == min(k, len(passing))        # k hits whenever k items match
    assert [h.id for h in hits] == [i for _, i in expected] or np.allclose(
        [h.score for h in hits], [s for s, _ in expected], atol=1e-5)   # ties may swap
    for h in hits:
        assert parsed.matches(h.item.kind, h.item.tags, h.item.payload)


def test_semantics_examples():
    f = parse_filter({"kind": "fact", "tags": {"all": ["a"], "none": ["b"]},
                      "payload": {"year": {"gte": 2000, "lt": 2010}, "lang": "en"}})
    assert f.matches("fact", ["a"], {"year": 2005, "lang": "en"})
    assert not f.matches("fact", ["a", "b"], {"year": 2005, "lang": "en"})
    assert not f.matches("fact", ["a"], {"year": 2010, "lang": "en"})
    assert not f.matches("qa", ["a"], {"year": 2005, "lang": "en"})
    assert parse_filter({"payload": {"n": 1}}).matches("x", [], {"n": 1.0})
    assert not parse_filter({"payload": {"n": 1}}).matches("x", [], {"n": True})
    assert parse_filter({"payload": {"t": "a"}}).matches("x", [], {"t": ["b", "a"]})


def test_or_and_not_examples():
    f = parse_filter({"kind": "fact", "or": [{"tags": {"all": ["a"]}}, {"payload": {"n": 1}}],
                      "not": {"payload": {"lang": "fr"}}})
    assert f.matches("fact", ["a"], {}) and f.matches("fact", [], {"n": 1})
    assert not f.matches("fact", [], {"n": 2})                   # neither alternative
    assert not f.matches("fact", ["a"], {"lang": "fr"})          # the not holds
    assert not f.matches("qa", ["a"], {})                        # the and-ed kind
    nested = parse_filter({"not": {"or": [{"kind": "qa"}, {"not": {"tags": {"any": ["x"]}}}]}})
    assert nested.matches("fact", ["x"], {}) and not nested.matches("fact", [], {})
    assert parse_filter({"not": {}}).matches("fact", [], {}) is False    # not everything


def _nested_nots(depth):
    flt = {"kind": "fact"}
    for _ in range(depth):
        flt = {"not": flt}
    return flt


@pytest.mark.parametrize("bad, words", [
    ([], "JSON object"), ({"knd": "fact"}, "unknown key"), ({"kind": 3}, "kind"),
    ({"tags": ["a"]}, "tags must be an object"), ({"tags": {"every": ["a"]}}, "unknown key"),
    ({"payload": {"n": {"gte": "x"}}}, "finite number"), ({"payload": {"n": {"like": 1}}}, "operator"),
    ({"payload": {"n": {"in": []}}}, "non-empty list"), ({"payload": {"n": [1, 2]}}, "string, number"),
    ({"payload": {"n": {}}}, "empty condition"), ({"payload": {"n": {"gt": 1, "gte": 2}}}, "at most one"),
    ({"or": []}, "non-empty list"), ({"or": {"kind": "a"}}, "non-empty list"),
    ({"or": ["fact"]}, "filter object"), ({"not": [{"kind": "a"}]}, "'not' must be a filter"),
    ({"or": [{"knd": "a"}]}, "unknown key"), ({"not": {"not": {"payload": {"n": {}}}}}, "empty"),
    (_nested_nots(20), "nested deeper"),
])
def test_malformed_filters_are_validation_errors(bad, words):
    with pytest.raises(ValidationError, match=words):
        parse_filter(bad)


@pytest.mark.parametrize("key", ["all", "any", "none"])
def test_a_bare_string_is_not_a_tag_list(key):
    with pytest.raises(ValidationError, match=f"tags.{key} must be a list of non-empty strings, "
                                              f"got a string"):
        parse_filter({"tags": {key: "animals"}})
    assert parse_filter({"kind": "fact"}).kinds == ("fact",)  # kind alone may be one string


def test_search_reports_a_bad_filter(store):
    store.add([{"id": "a", "vector": [1.0] * DIM}])
    with pytest.raises(ValidationError):
        store.search([1.0] * DIM, k=1, filter={"kind": 5})


def test_filters_equal_in_python_but_not_in_meaning_do_not_share_a_cached_mask(tmp_path):
    """{"x": 1} and {"x": true} select different items although 1 == True in Python;
    the compiled-filter cache once conflated them (a hypothesis run found it)."""
    rng = np.random.default_rng(0)
    store = MemoryStore.open(str(tmp_path), DIM, index="flat", background=False)
    try:
        store.add([{"id": "one", "vector": rng.normal(size=DIM).tolist(), "payload": {"x": 1}},
                   {"id": "true", "vector": rng.normal(size=DIM).tolist(), "payload": {"x": True}}])
        query = rng.normal(size=DIM)
        for _ in range(3):  # repeated: the cache serves from the second use on
            assert [h.id for h in store.search(query, k=5, filter={"payload": {"x": 1}})] == ["one"]
            assert [h.id for h in store.search(query, k=5, filter={"payload": {"x": True}})] == ["true"]
            assert [h.id for h in store.search(query, k=5, filter={"payload": {"x": 1.0}})] == ["one"]
    finally:
        store.close()
