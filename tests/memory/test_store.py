"""Store behaviour a caller sees: CRUD, persistence across reopen, snapshots, compaction."""

import os

import numpy as np
import pytest
from mem_helpers import DIM, random_items

from world2vec.memory import MemoryStore, StoreLocked, ValidationError


def brute_force(items, query, k, keep=lambda it: True):
    vecs = np.array([it["vector"] for it in items], dtype=np.float64)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    q = np.asarray(query, dtype=np.float64)
    scores = vecs @ (q / np.linalg.norm(q))
    order = [i for i in np.argsort(-scores, kind="stable") if keep(items[i])]
    return [items[i]["id"] for i in order[:k]]


def test_search_equals_brute_force(store):
    items = random_items(300)
    store.add(items)
    query = np.random.default_rng(9).normal(size=DIM)
    assert [h.id for h in store.search(query, k=10)] == brute_force(items, query, 10)


def test_get_returns_everything_stored(store):
    item = random_items(1)[0]
    item["answer"] = "forty-two"
    store.add([item])
    got = store.get("i0")
    assert (got.kind, got.text, got.payload, got.answer) == ("fact", "text 0", item["payload"],
                                                              "forty-two")
    assert got.created_at > 0
    assert store.get("missing") is None


def test_upsert_replaces_and_delete_removes(store):
    items = random_items(50)
    store.add(items)
    target = np.zeros(DIM)
    target[0] = 1.0
    store.upsert([{"id": "i7", "vector": target.tolist(), "kind": "qa", "text": "new"}])
    assert len(store) == 50
    hits = store.search(target, k=1)
    assert hits[0].id == "i7" and hits[0].item.text == "new"
    assert store.delete("i7") is True and store.delete("i7") is False
    assert store.get("i7") is None and len(store) == 49
    assert all(h.id != "i7" for h in store.search(target, k=50))
    assert store.delete_many(["i1", "i2", "nope"]) == 2 and len(store) == 47


def test_hits_carry_the_item_and_its_vector_only_when_asked(store):
    store.add([{"id": "a", "vector": [3.0] + [0.0] * (DIM - 1), "kind": "qa", "text": "t",
                "tags": ["x"], "payload": {"n": 1}, "answer": "yes"}])
    lean = store.search(np.eye(DIM, dtype=np.float32)[0], k=1)[0]
    assert (lean.id, lean.item.kind, lean.item.text, lean.item.tags, lean.item.payload,
            lean.item.answer) == ("a", "qa", "t", ["x"], {"n": 1}, "yes")
    assert lean.item.vector is None and lean.score == pytest.approx(1.0)
    lean.item.payload["n"] = 2          # editing a result does not edit the store
    lean.item.tags.append("y")
    full = store.search(np.eye(DIM, dtype=np.float32)[0], k=1, with_vectors=True)[0]
    assert full.item.payload == {"n": 1} and full.item.tags == ["x"]
    np.testing.assert_allclose(full.item.vector, np.eye(DIM)[0], atol=1e-6)


@pytest.mark.parametrize("scale", [1.0, 7.5, 1e-20])
def test_float32_queries_are_normalized_once_and_scores_are_cosines(store, scale):
    store.add(random_items(30))
    unit = store.get("i4").vector
    query = (unit * np.float32(scale)).astype(np.float32)
    hit = store.search(query, k=1)[0]
    assert hit.id == "i4" and hit.score == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("bad, words", [(np.full(DIM, np.nan, np.float32), "NaN or inf"),
                                        (np.full(DIM, np.inf, np.float32), "NaN or inf"),
                                        (np.zeros(DIM, np.float32), "all zeros"),
                                        (np.ones(DIM + 1, np.float32), "dimension")])
def test_bad_float32_queries_are_refused_by_name(store, bad, words):
    store.add(random_items(3))
    with pytest.raises(ValidationError, match=words):
        store.search(bad, k=1)


def test_search_by_id_is_search_by_the_stored_vector_without_the_item(store):
    items = random_items(40)
    for i, it in enumerate(items):
        it["tags"] = ["even"] if i % 2 == 0 else []
    store.add(items)
    query = store.get("i6").vector
    for flt in (None, {"tags": {"all": ["even"]}}):
        expected = [(h.id, h.score) for h in store.search(query, k=5, filter=flt,
                                                         exclude_ids=["i6"])]
        got = store.search_by_id("i6", k=5, filter=flt)
        assert [h.id for h in got] == [i for i, _ in expected] and "i6" not in [h.id for h in got]
        assert [h.score for h in got] == pytest.approx([s for _, s in expected], abs=1e-6)
    assert all(h.item.vector is None for h in got)
    full = store.search_by_id("i6", k=2, with_vectors=True)
    np.testing.assert_allclose(full[0].item.vector, store.get(full[0].id).vector)
    assert len(store.search_by_id("i6", k=100)) == 39      # every other item, itself left out
    assert store.search_by_id("nope", k=3) is None
    with pytest.raises(ValidationError, match="k must be"):
        store.search_by_id("i6", k=0)
    with pytest.raises(ValidationError, match="tags.all"):
        store.search_by_id("i6", k=3, filter={"tags": {"all": "even"}})


def test_exclude_ids(store):
    store.add(random_items(20))
    query = store.get("i3").vector
    assert store.search(query, k=1)[0].id == "i3"
    assert store.search(query, k=1, exclude_ids=["i3"])[0].id != "i3"


def test_everything_survives_reopen_with_and_without_snapshot(tmp_path):
    path = str(tmp_path / "d")
    items = random_items(40)
    s = MemoryStore.open(path, DIM, index="flat", background=False)
    s.add(items[:30])
    s.snapshot()
    s.add(items[30:])
    s.delete("i0")
    s.upsert([dict(items[1], text="changed")])
    s.close(snapshot=False)          # the last writes live only in the log
    s = MemoryStore.open(path, DIM, index="flat", background=False)
    assert len(s) == 39 and s.get("i0") is None and s.get("i1").text == "changed"
    np.testing.assert_allclose(s.get("i35").vector,
                               np.array(items[35]["vector"]) / np.linalg.norm(items[35]["vector"]),
                               rtol=1e-6)
    s.close()                         # snapshot on close, then reopen from it alone
    names = os.listdir(path)
    assert sum(n.startswith("snapshot-") for n in names) == 1
    s = MemoryStore.open(path, DIM, index="flat", background=False)
    assert len(s) == 39 and s.get("i1").text == "changed"
    s.close()


def test_compaction_drops_dead_rows_and_keeps_results(store):
    items = random_items(100)
    store.add(items)
    store.delete_many([f"i{i}" for i in range(0, 100, 2)])
    query = np.random.default_rng(3).normal(size=DIM)
    before = [h.id for h in store.search(query, k=10)]
    store.snapshot()
    assert store.stats()["rows"] == 50 and store.stats()["dead"] == 0
    assert [h.id for h in store.search(query, k=10)] == before


def test_wrong_dimension_for_an_existing_directory_is_a_clear_error(tmp_path):
    path = str(tmp_path / "d")
    s = MemoryStore.open(path, DIM, background=False)
    s.add(random_items(2))
    s.close()
    with pytest.raises(Exception, match="dimension 16"):
        MemoryStore.open(path, 8, background=False)
    MemoryStore.open(path, DIM, background=False).close()   # the failed open released the lock


def test_second_writer_in_the_same_process_is_refused(tmp_path, store):
    with pytest.raises(StoreLocked, match=str(os.getpid())):
        MemoryStore.open(store.data_dir, DIM)


def test_closed_store_refuses_use(tmp_path):
    s = MemoryStore.open(str(tmp_path / "d"), DIM, background=False)
    s.close()
    with pytest.raises(Exception, match="closed"):
        s.add(random_items(1))


def test_repeated_filters_see_every_new_write(store):
    store.add(random_items(30))
    flt = {"kind": "qa", "tags": {"all": ["new"]}}
    probe = np.ones(DIM)
    assert store.search(probe, k=5, filter=flt) == []
    store.add([{"id": "fresh", "vector": probe.tolist(), "kind": "qa", "tags": ["new"]}])
    assert [h.id for h in store.search(probe, k=5, filter=flt)] == ["fresh"]
    store.upsert([{"id": "fresh", "vector": probe.tolist(), "kind": "fact", "tags": ["new"]}])
    assert store.search(probe, k=5, filter=flt) == []
    store.upsert([{"id": "fresh", "vector": probe.tolist(), "kind": "qa", "tags": ["new"]}])
    store.delete("fresh")
    assert store.search(probe, k=5, filter=flt) == []


def test_every_change_is_seen_by_the_next_read(store):
    """Reads share one view of the store until something changes; each kind of change
    (add, upsert, delete, compaction) must be visible to the very next read."""
    store.add(random_items(40))
    axis = np.eye(DIM)
    assert store.search(axis[0], k=1)[0].id != "new"
    store.add([{"id": "new", "vector": axis[0].tolist()}])
    assert store.search(axis[0], k=1)[0].id == "new"
    assert store.search_by_id("new", k=1)[0].id != "new"
    store.upsert([{"id": "new", "vector": axis[1].tolist(), "text": "moved"}])
    assert store.get("new").vector == pytest.approx(axis[1])
    assert store.search(axis[1], k=1)[0].item.text == "moved"
    store.delete("new")
    assert store.get("new") is None and "new" not in [h.id for h in store.search(axis[1], k=41)]
    store.delete_many([f"i{i}" for i in range(20)])
    assert len(store.search(axis[2], k=40)) == 20
    store.snapshot()                                    # compacts: a new table and index
    assert store.stats()["rows"] == 20
    store.add([{"id": "after", "vector": axis[2].tolist()}])
    assert store.search(axis[2], k=1)[0].id == "after"
    assert [h.id for h in store.search(axis[2], k=21)].count("after") == 1
