"""Collections and the data operations (scroll, count, batch get/delete, patch, batched
search) through the sync Client, against the stateful fake service (client_fake_service.py)."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec_client import (
    BadRequest,
    Client,
    Collection,
    CollectionInfo,
    Conflict,
    Fetched,
    Hits,
    Item,
    NotFound,
    Page,
)


def pets(n: int = 3) -> list[dict]:
    return [{"id": f"p{i:02d}", "text": f"pet number {i} is a {'cat' if i % 2 else 'dog'}",
             "tags": ["pets", "cat" if i % 2 else "dog"], "payload": {"n": i}} for i in range(n)]


def test_create_collection_sends_the_contract_body_and_lists_it(fake, service):
    c = Client(fake.url)
    notes = c.create_collection("notes", dim=4, model=None, metric="dot")
    assert fake.seen[0].method == "POST" and fake.seen[0].path == "/collections"
    assert fake.seen[0].json() == {"name": "notes", "dim": 4, "metric": "dot", "model": None}
    assert isinstance(notes, Collection) and notes.name == "notes"
    listed = {info.name: info for info in c.collections()}
    assert set(listed) == {"default", "notes"}
    assert listed["notes"] == CollectionInfo("notes", 4, "dot", None, 0)
    assert listed["default"].model == "default"


def test_existing_name_is_a_conflict_and_a_bad_name_a_bad_request(fake, service):
    c = Client(fake.url)
    c.create_collection("notes")
    with pytest.raises(Conflict, match="'notes' exists"):
        c.create_collection("notes")
    with pytest.raises(BadRequest) as info:
        c.create_collection("Bad Name!")
    assert info.value.status == 400 and "must match" in info.value.detail


def test_missing_collection_is_not_found_everywhere(fake, service):
    c = Client(fake.url)
    ghost = c.collection("ghost")  # no request for this
    assert fake.seen == []
    for call in (lambda: ghost.count(), lambda: ghost.add([{"id": "a", "text": "x"}]),
                 lambda: ghost.search("x"), lambda: c.collection_info("ghost"),
                 lambda: c.delete_collection("ghost")):
        with pytest.raises(NotFound, match="no collection named 'ghost'"):
            call()
    assert c.delete_collection("ghost", missing_ok=True) is False


def test_info_and_delete_collection(fake, service):
    c = Client(fake.url)
    notes = c.create_collection("notes")
    notes.add(pets(3))
    info = notes.info()
    assert fake.seen[-1].path == "/collections/notes"
    assert info.items == 3 and info.dim == 8 and info.index == {"type": "flat"}
    assert info.bytes == 4 * 8 * 3
    assert c.delete_collection("notes") is True
    assert [i.name for i in c.collections()] == ["default"]


def test_memory_methods_are_scoped_to_their_collection(fake, service):
    c = Client(fake.url)
    notes = c.create_collection("notes")
    assert notes.add(pets(4)) == ["p00", "p01", "p02", "p03"]
    assert fake.seen[-1].path == "/collections/notes/memories"
    assert notes.count() == 4 and c.count() == 0
    assert notes.get("p01").text == "pet number 1 is a cat"
    with pytest.raises(NotFound):
        c.get("p01")  # the default collection holds none of them
    hits = notes.search("a cat", k=2)
    assert fake.seen[-1].path == "/collections/notes/search" and isinstance(hits, Hits)
    assert notes.qa("which pet is a cat?", k=1)[0].support
    assert fake.seen[-1].path == "/collections/notes/qa"
    assert notes.delete("p00") is True and notes.count() == 3


def test_unscoped_methods_act_on_the_default_collection(fake, service):
    c = Client(fake.url)
    c.add(pets(5))
    assert c.count() == 5
    assert c.count(filter={"tags": {"all": ["cat"]}}) == 2
    page = c.scroll(limit=2)
    assert c.get_many(["p00", "zz"]).missing == ["zz"]
    c.patch("p00", tags=["x"])
    assert c.delete_many(ids=["p01"]) == 1
    paths = [(r.method, r.path) for r in fake.seen[1:]]
    assert paths == [("POST", "/memories/count"), ("POST", "/memories/count"),
                     ("POST", "/memories/scroll"), ("POST", "/memories/get"),
                     ("PATCH", "/memories/p00"), ("POST", "/memories/delete")]
    assert fake.seen[2].json() == {"filter": {"tags": {"all": ["cat"]}}}
    assert page.next_cursor == "p01" and [i.id for i in page] == ["p00", "p01"]


def test_get_many_returns_items_and_missing_ids(fake, service):
    notes = Client(fake.url).create_collection("notes")
    notes.add(pets(3))
    found = notes.get_many(["p02", "nope", "p00"])
    assert fake.seen[-1].json() == {"ids": ["p02", "nope", "p00"]}
    assert isinstance(found, Fetched) and all(isinstance(i, Item) for i in found)
    assert sorted(found.by_id) == ["p00", "p02"] and found.missing == ["nope"]
    assert found.by_id["p02"].payload == {"n": 2}
    with pytest.raises(ValueError, match="list of ids"):
        notes.get_many("p00")


def test_patch_merges_the_payload_and_keeps_the_vector(fake, service):
    notes = Client(fake.url).create_collection("notes", dim=3, model=None)
    notes.add([{"id": "v", "vector": [1.0, 0.0, 0.0], "payload": {"a": 1, "b": 2}, "tags": ["t"]}])
    item = notes.patch("v", {"b": 3, "c": 4}, kind="note", answer="yes")
    assert fake.seen[-1].method == "PATCH" and fake.seen[-1].path == "/collections/notes/memories/v"
    assert fake.seen[-1].json() == {"payload": {"b": 3, "c": 4}, "kind": "note", "answer": "yes"}
    assert item.payload == {"a": 1, "b": 3, "c": 4} and item.kind == "note" and item.tags == ["t"]
    stored = notes.get("v")
    np.testing.assert_array_equal(stored.vector, [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="at least one"):
        notes.patch("v")
    with pytest.raises(NotFound):
        notes.patch("nope", {"a": 1})


def test_delete_many_by_ids_or_by_filter(fake, service):
    notes = Client(fake.url).create_collection("notes")
    notes.add(pets(6))
    assert notes.delete_many(["p00", "p01", "gone"]) == 2
    assert fake.seen[-1].json() == {"ids": ["p00", "p01", "gone"]}
    assert notes.delete_many(filter={"tags": {"all": ["cat"]}}) == 2  # p03, p05
    assert sorted(i.id for i in notes.iter_items()) == ["p02", "p04"]
    with pytest.raises(ValueError, match="either ids or filter"):
        notes.delete_many()
    with pytest.raises(ValueError, match="either ids or filter"):
        notes.delete_many(["p02"], filter={"kind": "fact"})


def test_scroll_pages_follow_the_cursor_to_the_end(fake, service):
    notes = Client(fake.url).create_collection("notes")
    notes.add(pets(25))
    first = notes.scroll(limit=10)
    assert isinstance(first, Page) and len(first) == 10 and not first.last
    assert fake.seen[-1].json() == {"limit": 10}  # the first page sends no cursor
    second = notes.scroll(10, first.next_cursor)
    assert fake.seen[-1].json() == {"limit": 10, "cursor": first.next_cursor}
    third = notes.scroll(10, second.next_cursor)
    assert len(third) == 5 and third.last and third.next_cursor is None
    ids = [i.id for p in (first, second, third) for i in p]
    assert ids == [f"p{i:02d}" for i in range(25)]


def test_iter_items_yields_every_item_once_with_filters_and_vectors(fake, service):
    notes = Client(fake.url).create_collection("notes")
    notes.add(pets(25))
    before = len(fake.seen)
    seen = [i.id for i in notes.iter_items(page_size=7)]
    assert seen == [f"p{i:02d}" for i in range(25)] and len(fake.seen) - before == 4
    cats = list(notes.iter_items(filter={"tags": {"all": ["cat"]}}, page_size=5,
                                 with_vectors=True))
    assert [i.id for i in cats] == [f"p{i:02d}" for i in range(1, 25, 2)]
    assert all(i.vector is not None and i.vector.shape == (8,) for i in cats)
    assert fake.seen[-1].json()["with_vectors"] is True
    with pytest.raises(ValueError, match="page_size"):
        next(notes.iter_items(page_size=0))


def test_count_with_nested_filters(fake, service):
    notes = Client(fake.url).create_collection("notes")
    notes.add(pets(10))
    assert notes.count() == 10
    assert notes.count({"or": [{"payload": {"n": {"lt": 2}}}, {"payload": {"n": {"gte": 8}}}]}) == 4
    assert notes.count({"not": {"tags": {"any": ["cat"]}}}) == 5


def test_search_options_are_sent_and_vectors_come_back(fake, service):
    notes = Client(fake.url).create_collection("notes")
    notes.add(pets(6))
    hits = notes.search("pet cat", k=2, filter={"tags": {"all": ["pets"]}}, score_threshold=0.1,
                        offset=1, with_vectors=True, mode="hybrid")
    assert fake.seen[-1].json() == {"text": "pet cat", "k": 2, "filter": {"tags": {"all": ["pets"]}},
                                    "score_threshold": 0.1, "offset": 1, "with_vectors": True,
                                    "mode": "hybrid"}
    assert len(hits) == 2 and all(h.vector.dtype == np.float32 and h.vector.shape == (8,)
                                  for h in hits)
    plain = notes.search("pet cat", k=3)
    assert fake.seen[-1].json() == {"text": "pet cat", "k": 3}
    assert all(h.vector is None and "vector" not in h.extra for h in plain)


def test_search_batch_answers_one_hits_per_query_in_order(fake, service):
    notes = Client(fake.url).create_collection("notes", dim=3, model=None)
    notes.add([{"id": "x", "vector": [1, 0, 0]}, {"id": "y", "vector": [0, 1, 0]}])
    batches = notes.search_batch([{"vector": [0, 1, 0]}, {"vector": np.array([1.0, 0.5, 0])}], k=1)
    body = fake.seen[-1].json()
    assert body == {"queries": [{"vector": [0.0, 1.0, 0.0]}, {"vector": [1.0, 0.5, 0.0]}], "k": 1}
    assert [b.ids for b in batches] == [["y"], ["x"]]
    assert all(isinstance(b, Hits) for b in batches)
    Client(fake.url).search_batch(["a cat", {"concept": "dog"}], k=2, mode="lexical")
    assert fake.seen[-1].json() == {"queries": [{"text": "a cat"}, {"concept": "dog"}], "k": 2,
                                    "mode": "lexical"}
    with pytest.raises(ValueError, match="query 1"):
        notes.search_batch([{"text": "a"}, {"text": "b", "concept": "c"}])
    with pytest.raises(ValueError, match="not one string"):
        notes.search_batch("a cat")


def test_collection_without_model_refuses_text_only_items(fake, service):
    raw = Client(fake.url).create_collection("raw", dim=3, model=None)
    with pytest.raises(BadRequest, match="give a vector"):
        raw.add([{"id": "t", "text": "only words"}])


def test_add_many_into_a_collection(fake, service):
    notes = Client(fake.url).create_collection("notes")
    report = notes.add_many(pets(12), batch_size=5)
    assert report.ok and report.added == 12 and report.requests == 3
    assert {r.path for r in fake.seen[1:]} == {"/collections/notes/memories"}
    assert notes.count() == 12


def test_collection_names_and_ids_are_quoted_in_paths(fake):
    from client_fake import Reply
    fake.handler = lambda req: Reply(200, {"count": 0})
    Client(fake.url).collection("odd/name").count()
    assert fake.seen[-1].path == "/collections/odd%2Fname/memories/count"
    with pytest.raises(ValueError, match="collection name"):
        Client(fake.url).collection("")
