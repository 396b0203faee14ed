"""The store's data operations against brute force: count, get_many, patch, delete by
filter, scroll (also under concurrent writers), batch search, offset and score
threshold, and the dot and l2 metrics with and without or/not filters."""

import threading

import numpy as np
import pytest
from mem_helpers import DIM, random_items

from world2vec.memory import MemoryStore, ValidationError, parse_filter

OR_NOT = {"or": [{"payload": {"n": {"lt": 10}}}, {"not": {"tags": {"any": ["red"]}}}]}
FILTERS = [None, {"kind": "qa"}, OR_NOT, {"not": {"or": [{"kind": "fact"}, {"payload": {"group": "a"}}]}}]


def passing(items, flt):
    parsed = parse_filter(flt)
    return [it for it in items if parsed.matches(it["kind"], it["tags"], it["payload"])]


def brute(items, query, metric, k, flt=None):
    """(id, score) best first by the store's metric definition."""
    chosen = passing(items, flt)
    if not chosen:
        return []
    vecs = np.array([it["vector"] for it in chosen], dtype=np.float64)
    q = np.asarray(query, dtype=np.float64)
    if metric == "cosine":
        scores = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)) @ (q / np.linalg.norm(q))
    elif metric == "dot":
        scores = vecs @ q
    else:
        scores = -np.linalg.norm(vecs - q, axis=1)
    order = np.argsort(-scores, kind="stable")[:k]
    return [(chosen[i]["id"], float(scores[i])) for i in order]


def assert_same_ranking(hits, expected):
    assert len(hits) == len(expected)
    np.testing.assert_allclose([h.score for h in hits], [s for _, s in expected], atol=1e-4)
    assert {h.id for h in hits[:-1]} <= {i for i, _ in expected}   # ties at the cut may swap


@pytest.fixture
def filled(store):
    items = random_items(60)
    store.add(items)
    return store, items


def test_count_and_get_many_agree_with_brute_force(filled):
    store, items = filled
    for flt in FILTERS:
        assert store.count(flt) == len(passing(items, flt))
    found, missing = store.get_many(["i3", "nope", "i7", "i3"])
    assert [it.id for it in found] == ["i3", "i7", "i3"] and missing == ["nope"]
    assert found[0].text == "text 3" and found[0].vector.shape == (DIM,)
    assert store.get_many(["i1"], with_vectors=False)[0][0].vector is None


def test_patch_merges_metadata_and_keeps_the_vector(filled, tmp_path):
    store, _ = filled
    before = store.get("i4")
    item = store.patch("i4", {"extra": 1, "n": None}, tags=["new"], kind="note", answer="yes")
    assert item.payload == {"n": None, "group": "a", "extra": 1} and item.tags == ["new"]
    assert (item.kind, item.answer, item.text, item.created_at) == \
        ("note", "yes", "text 4", before.created_at)
    after = store.get("i4")
    np.testing.assert_array_equal(after.vector, before.vector)
    assert store.count({"kind": "note"}) == 1 and store.count({"tags": {"all": ["new"]}}) == 1
    assert store.patch("missing", {"a": 1}) is None
    with pytest.raises(ValidationError):
        store.patch("i4")                                 # nothing to change
    with pytest.raises(ValidationError):
        store.patch("i4", tags="oops")
    path = store.data_dir
    store.close(snapshot=False)                           # as after a crash: replayed from the log
    again = MemoryStore.open(path, DIM, index="flat", background=False)
    try:
        assert again.get("i4").payload["extra"] == 1 and again.get("i4").kind == "note"
        np.testing.assert_array_equal(again.get("i4").vector, before.vector)
    finally:
        again.close()


def test_delete_by_filter_removes_exactly_the_matching_items(filled):
    store, items = filled
    doomed = {it["id"] for it in passing(items, OR_NOT)}
    assert store.delete_by_filter(OR_NOT) == len(doomed)
    assert len(store) == len(items) - len(doomed)
    assert not any(i in store for i in doomed)
    assert store.delete_by_filter(OR_NOT) == 0
    assert store.delete_by_filter({}) == len(items) - len(doomed) and len(store) == 0


@pytest.mark.parametrize("flt", FILTERS)
def test_scroll_pages_through_every_matching_item_once_in_id_order(filled, flt):
    store, items = filled
    seen, cursor, pages = [], None, 0
    while True:
        page, cursor = store.scroll(limit=7, cursor=cursor, filter=flt)
        seen += [it.id for it in page]
        pages += 1
        if cursor is None:
            break
        assert len(page) == 7
    expected = sorted(it["id"] for it in passing(items, flt))
    assert seen == expected and pages == max(1, -(-len(expected) // 7))


def test_scroll_under_concurrent_writes_returns_each_original_item_exactly_once(store):
    originals = random_items(400, prefix="o")
    store.add(originals)
    stop = threading.Event()
    errors = []

    def writer(seed):
        rng = np.random.default_rng(seed)
        n = 0
        try:
            while not stop.is_set():
                batch = random_items(5, seed=seed * 1000 + n, prefix=f"w{seed}-{n}-")
                store.upsert(batch)
                store.delete_many([batch[0]["id"], batch[1]["id"]])
                store.upsert([dict(originals[int(rng.integers(400))], payload={"touched": n})])
                n += 1
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    try:
        seen, cursor = [], None
        while True:
            page, cursor = store.scroll(limit=13, cursor=cursor)
            seen += [it.id for it in page]
            if cursor is None:
                break
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    mine = [i for i in seen if i.startswith("o")]
    assert sorted(mine) == sorted(it["id"] for it in originals) and len(mine) == len(set(mine))
    assert len(seen) == len(set(seen))


def test_batch_search_offset_and_threshold_agree_with_single_searches(filled):
    store, items = filled
    queries = np.random.default_rng(3).normal(size=(5, DIM)).astype(np.float32)
    for flt in FILTERS:
        batches = store.search_batch(queries, k=6, filter=flt)
        for query, hits in zip(queries, batches):
            assert_same_ranking(hits, brute(items, query, "cosine", 6, flt))
            single = store.search(query, k=6, filter=flt)
            assert [h.id for h in hits] == [h.id for h in single]
    full = store.search(queries[0], k=12)
    assert [h.id for h in store.search(queries[0], k=5, offset=4)] == [h.id for h in full[4:9]]
    cut = store.search(queries[0], k=60, score_threshold=0.2)
    assert cut and all(h.score >= 0.2 for h in cut)
    assert len(cut) == sum(1 for _, s in brute(items, queries[0], "cosine", 60) if s >= 0.2)
    assert [[h.id for h in b] for b in store.search_batch(queries[:2], k=3, offset=1)] == \
        [[h.id for h in store.search(q, k=3, offset=1)] for q in queries[:2]]
    assert store.search_batch([], k=3) == []
    with pytest.raises(ValidationError, match="offset"):
        store.search(queries[0], k=5, offset=-1)
    with pytest.raises(ValidationError, match="score_threshold"):
        store.search(queries[0], k=5, score_threshold="high")


@pytest.mark.parametrize("metric", ["dot", "l2"])
@pytest.mark.parametrize("index", ["flat", "hnsw"])
def test_dot_and_l2_search_like_brute_force(tmp_path, metric, index):
    rng = np.random.default_rng(11)
    items = random_items(300, seed=4)
    for it in items:
        it["vector"] = (np.asarray(it["vector"]) * rng.uniform(0.2, 3.0)).tolist()
    store = MemoryStore.open(str(tmp_path / metric), DIM, index=index, metric=metric,
                             background=False)
    try:
        store.add(items)
        store.refresh()
        got = store.get("i5").vector
        np.testing.assert_allclose(got, items[5]["vector"], rtol=1e-6)   # kept as given
        queries = rng.normal(size=(4, DIM)).astype(np.float32) * 2
        for flt in FILTERS:
            for query, batch in zip(queries, store.search_batch(queries, k=8, filter=flt)):
                expected = brute(items, query, metric, 8, flt)
                assert_same_ranking(store.search(query, k=8, filter=flt), expected)
                assert_same_ranking(batch, expected)
        near = store.search(items[9]["vector"], k=3, score_threshold=-1e-3 if metric == "l2" else None)
        assert near[0].id == "i9"
        if metric == "l2":
            assert [h.id for h in near] == ["i9"] and abs(near[0].score) < 1e-3
    finally:
        store.close()
    again = MemoryStore.open(str(tmp_path / metric), DIM, index="flat", metric=metric,
                             background=False)
    try:
        assert_same_ranking(again.search(queries[0], k=5), brute(items, queries[0], metric, 5))
    finally:
        again.close()
    with pytest.raises(ValidationError, match="cosine"):
        MemoryStore.open(str(tmp_path / metric), DIM, metric="cosine")
