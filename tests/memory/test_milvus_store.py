"""The Milvus backend's data operations and collections, against brute force and against
what a second service process (another client of the same Milvus) sees."""

import threading

import numpy as np
import pytest
from mem_helpers import DIM, random_items

from world2vec.memory import ValidationError

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from world2vec.memory.milvus import MilvusCollections, connect
from world2vec.memory.milvus.errors import (
    CollectionExists,
    CollectionInUse,
    UnknownCollection,
)


@pytest.fixture
def fresh(milvus_collections, request):
    """A new collection per test: ``fresh(metric)`` creates it (dim DIM, no model)."""
    made = []

    def make(metric="cosine", dim=DIM):
        name = f"t-{len(made)}-{request.node.name[:30].lower()}".replace("[", "-").replace("]", "")
        name = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:60]
        if name in milvus_collections:
            milvus_collections.delete(name)
        made.append(name)
        return milvus_collections.create(name, dim=dim, metric=metric, model=None).store

    yield make
    for name in made:
        if name in milvus_collections:
            milvus_collections.delete(name)


def test_scroll_returns_each_item_once_in_id_order_with_a_filter(fresh):
    store = fresh()
    items = random_items(230)
    store.add(items[:100])
    store.add(items[100:])
    seen, cursor, pages = [], None, 0
    while True:
        page, cursor = store.scroll(limit=17, cursor=cursor, filter={"payload": {"group": "a"}})
        seen += [it.id for it in page]
        pages += 1
        assert all(it.vector is None for it in page)
        if cursor is None:
            break
    expected = sorted(it["id"] for it in items if it["payload"]["group"] == "a")
    assert seen == expected and pages == -(-len(expected) // 17)
    page, _ = store.scroll(limit=2, with_vectors=True)
    assert page[0].vector.shape == (DIM,)


def test_scroll_under_concurrent_writes_returns_every_lasting_item_exactly_once(fresh):
    store = fresh()
    lasting = random_items(300, prefix="keep")
    store.add(lasting)
    stop = threading.Event()

    def churn():
        n = 0
        while not stop.is_set():
            batch = random_items(5, seed=n, prefix=f"churn{n}-")
            store.upsert(batch)
            store.delete_many([it["id"] for it in batch[:3]])
            n += 1

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        seen, cursor = [], None
        while True:
            page, cursor = store.scroll(limit=25, cursor=cursor)
            seen += [it.id for it in page]
            if cursor is None:
                break
    finally:
        stop.set()
        writer.join()
    kept = [i for i in seen if i.startswith("keep")]
    assert sorted(kept) == sorted(it["id"] for it in lasting) and len(kept) == len(set(kept))
    assert seen == sorted(seen)


def test_count_get_many_and_delete_by_filter(fresh):
    store = fresh()
    items = random_items(120)
    store.add(items)
    assert store.count() == len(store) == 120
    assert store.count({"kind": "qa"}) == sum(it["kind"] == "qa" for it in items)
    found, missing = store.get_many(["i5", "nope", "i2", "i5"])
    assert [it.id for it in found] == ["i5", "i2", "i5"] and missing == ["nope"]
    assert found[0].vector.shape == (DIM,) and found[0].payload == items[5]["payload"]
    removed = store.delete_by_filter({"payload": {"n": {"lt": 30}}, "kind": "fact"})
    assert removed == sum(it["payload"]["n"] < 30 and it["kind"] == "fact" for it in items)
    assert store.count({"payload": {"n": {"lt": 30}}, "kind": "fact"}) == 0
    assert store.count() == 120 - removed
    assert store.delete_by_filter({}) == 120 - removed and len(store) == 0


def test_patch_merges_the_payload_and_keeps_the_vector(fresh):
    store = fresh()
    store.add(random_items(3))
    before = store.get("i1")
    after = store.patch("i1", payload={"extra": True, "n": None}, tags=["new"], answer="yes")
    assert after.payload == {**before.payload, "extra": True, "n": None}
    stored = store.get("i1")
    assert (stored.tags, stored.answer, stored.kind, stored.text) == (["new"], "yes", before.kind,
                                                                       before.text)
    np.testing.assert_allclose(stored.vector, before.vector)
    assert store.count({"payload": {"extra": True}}) == 1
    assert store.patch("nope", kind="x") is None
    with pytest.raises(ValidationError, match="at least one"):
        store.patch("i1")


def test_batch_search_offset_and_threshold_equal_single_searches(fresh):
    store = fresh()
    store.add(random_items(80))
    queries = np.random.default_rng(4).normal(size=(3, DIM))
    batches = store.search_batch(queries, k=5, filter={"kind": ["fact", "qa"]})
    for query, hits in zip(queries, batches):
        single = store.search(query, k=5, filter={"kind": ["fact", "qa"]})
        assert [h.id for h in hits] == [h.id for h in single]
    full = store.search(queries[0], k=10)
    assert [h.id for h in store.search(queries[0], k=4, offset=3)] == [h.id for h in full[3:7]]
    cut = full[4].score
    assert [h.id for h in store.search(queries[0], k=10, score_threshold=cut)] == \
        [h.id for h in full if h.score >= cut]
    with pytest.raises(ValidationError, match="score_threshold"):
        store.search(queries[0], k=3, score_threshold=float("nan"))


@pytest.mark.parametrize("metric", ["dot", "l2"])
def test_dot_and_l2_compare_the_vectors_as_given(fresh, metric):
    store = fresh(metric)
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(40, DIM)) * rng.uniform(0.1, 5, size=(40, 1))
    store.add([{"id": f"v{i}", "vector": v.tolist()} for i, v in enumerate(vectors)])
    query = rng.normal(size=DIM)
    if metric == "dot":
        scores = vectors @ query
    else:
        scores = -np.linalg.norm(vectors - query, axis=1)
    order = np.argsort(-scores)[:5]
    hits = store.search(query, k=5)
    assert [h.id for h in hits] == [f"v{i}" for i in order]
    np.testing.assert_allclose([h.score for h in hits], scores[order], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(store.get("v3").vector, vectors[3], rtol=1e-6)


def test_lexical_search_ranks_by_bm25_in_milvus(fresh):
    store = fresh()
    rng = np.random.default_rng(2)
    texts = ["how to install dpkg packages", "the cat sat on the mat", "apt and dpkg differ",
             "nothing relevant here"]
    store.add([{"id": f"t{i}", "vector": rng.normal(size=DIM).tolist(), "text": t}
               for i, t in enumerate(texts)])
    store.upsert([{"id": "t3", "vector": rng.normal(size=DIM).tolist(), "text": "x",
                   "answer": "dpkg dpkg dpkg"}])
    ranked = store.lexical_search("dpkg", k=10)
    assert {i for i, _ in ranked} == {"t0", "t2", "t3"} and ranked[0][0] == "t3"
    assert all(score > 0 for _, score in ranked)
    assert store.lexical_search("the", k=5) == []          # stopwords only: nothing to rank
    assert store.lexical_search("   ", k=5) == []


def test_lexical_search_ranks_by_the_embedded_stores_terms(fresh, tmp_path):
    """Inflections fold and x86-64 stays whole on both backends, so the rankings agree."""
    from world2vec.memory import MemoryStore
    texts = {"inst": "installing packages with dpkg", "arch": "the x86-64 port of Debian",
             "x86": "x86 machines and 64 bit words", "run": "running services at boot",
             "lib": "libraries are installed in /usr/lib", "dpkg": "dpkg's database"}
    items = [{"id": i, "vector": np.ones(DIM).tolist(), "text": t} for i, t in texts.items()]
    milvus = fresh()
    milvus.add(items)
    embedded = MemoryStore.open(str(tmp_path / "e"), DIM, index="flat", background=False)
    embedded.add(items)
    try:
        for query in ("installed package", "x86-64", "run a service", "library install",
                      "dpkg", "DPKG's packages"):
            ours = embedded.lexical_search(query, k=10)
            theirs = milvus.lexical_search(query, k=10)
            assert [i for i, _ in theirs] == [i for i, _ in ours], query
            # Milvus computes in float32 and keeps its corpus statistics its own way: <1 % apart
            np.testing.assert_allclose([s for _, s in theirs], [s for _, s in ours], rtol=0.02)
        assert [i for i, _ in milvus.lexical_search("x86-64", k=10)] == ["arch"]
    finally:
        embedded.close()


def test_collections_live_in_milvus_not_in_the_process(milvus_collections):
    """A second client (another service replica) sees what the first created, with its
    metadata, and sees it go; the default collection cannot go."""
    other = MilvusCollections(connect(milvus_collections.uri), DIM)
    if "shared" in milvus_collections:
        milvus_collections.delete("shared")
    made = milvus_collections.create("shared", dim=3, metric="l2", model=None)
    assert made.info() == {"name": "shared", "dim": 3, "metric": "l2", "model": None, "items": 0}
    seen = other.get("shared")
    assert (seen.dim, seen.metric, seen.model) == (3, "l2", None)
    seen.store.add([{"id": "a", "vector": [1.0, 2.0, 2.0]}])
    assert milvus_collections.get("shared").info()["items"] == 1
    assert [c.name for c in other][0] == "default" and "shared" in [c.name for c in other]
    with pytest.raises(CollectionExists):
        other.create("shared", dim=3, model=None)
    other.delete("shared")
    assert "shared" not in milvus_collections
    with pytest.raises(UnknownCollection):
        milvus_collections.get("shared")
    with pytest.raises(CollectionInUse):
        other.delete("default")
    bound = milvus_collections.create("bound-to-model")
    assert (bound.dim, bound.model, bound.metric) == (DIM, "default", "cosine")
    milvus_collections.delete("bound-to-model")


@pytest.mark.parametrize("args, words", [
    (("Bad Name",), "collection name"), (("ok", 3, "cosine", "default"), "model's dimension"),
    (("ok", None, "cosine", None), "needs 'dim'"), (("ok", 3, "hamming", None), "metric"),
    (("ok", 3, "cosine", "other"), "model must be"),
])
def test_bad_collection_requests_are_validation_errors(milvus_collections, args, words):
    with pytest.raises(ValidationError, match=words):
        milvus_collections.create(*args)


def test_a_default_of_another_dimension_is_refused_by_name(tmp_path):
    uri = str(tmp_path / "m.db")
    MilvusCollections.open(uri, 8).close()
    with pytest.raises(ValidationError, match="dimension 8, not 4"):
        MilvusCollections.open(uri, 4)

