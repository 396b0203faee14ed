"""The client against a real ``world2vec serve`` started by the test (client_live_server.py).

Assertions are about behaviour a user sees through the
client, not about a particular model's neighbours: the default model is retrained
from time to time.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from world2vec_client import (
    BadRequest,
    Client,
    Conflict,
    Forbidden,
    Hits,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)

if importlib.util.find_spec("world2vec.service.app") is None:  # pragma: no cover
    pytest.skip("the world2vec service package is not installed", allow_module_level=True)

from client_live_server import KEY


@pytest.fixture(scope="module", params=("faiss", "milvus"))
def live_backend(request) -> str:
    """Every test against a server on the embedded store and one on Milvus Lite."""
    return request.param


@pytest.fixture
def client(live):
    with Client(live, api_key=KEY) as c:
        yield c


@pytest.fixture(scope="module")
def dim(live) -> int:
    return Client(live).health().dim


def _descending(hits: Hits) -> bool:
    scores = [h.score for h in hits]
    return all(a >= b - 1e-6 for a, b in zip(scores, scores[1:]))


def test_health(client):
    h = client.health()
    assert h.ok and h.dim > 0 and h.model and h.items >= 0


def test_similar_concept_ranks_other_concepts(client):
    hits = client.similar("cat", k=5)
    assert len(hits) == 5 and "cat" not in hits.ids and _descending(hits)
    assert all(-1.0 <= h.score <= 1.0 and h.kind == "concept" for h in hits)


def test_similar_by_text(client):
    hits = client.similar(text="a small cat sleeping", k=3)
    assert len(hits) == 3 and _descending(hits)


def test_bad_k_is_a_bad_request_naming_k(client):
    with pytest.raises(BadRequest) as info:
        client.similar("cat", k=0)
    assert "k" in info.value.detail and info.value.status == 400


def test_compose_excludes_its_inputs_and_unknown_terms_are_named(client):
    hits = client.compose("king - man + woman", k=5)
    assert len(hits) == 5 and not {"king", "man", "woman"} & set(hits.ids)
    with pytest.raises(NotFound) as info:
        client.compose("king - zqxjvkw")
    assert "zqxjvkw" in info.value.detail


def test_analogy_both_methods(client):
    for method in ("add", "mul"):
        hits = client.analogy("man", "king", "woman", k=3, method=method)
        assert len(hits) == 3 and not {"man", "king", "woman"} & set(hits.ids)
    with pytest.raises(BadRequest):
        client.analogy("man", "king", "woman", method="sideways")


def test_encode_json_and_msgpack_agree(live, client, dim):
    js = client.encode(["cat", "dog"])
    assert js.dtype == np.float32 and js.shape == (2, dim)
    np.testing.assert_allclose(np.linalg.norm(js, axis=1), 1.0, atol=1e-4)
    with Client(live, format="msgpack") as mp:
        packed = mp.encode(["cat", "dog"])
        texts = mp.encode(texts=["a small feline", "a big dog"])
    np.testing.assert_allclose(packed, js, atol=1e-6)
    assert texts.shape == (2, dim)


def test_writes_need_the_key(live):
    with pytest.raises(Unauthorized):
        Client(live).add([{"id": "nokey", "text": "a cat"}])
    with pytest.raises(Forbidden):
        Client(live, api_key="wrong").add([{"id": "nokey", "text": "a cat"}])
    with pytest.raises(NotFound):
        Client(live).get("nokey")


def test_add_get_upsert_delete(client):
    ids = client.add([{"id": "pet-1", "text": "cats purr when they are content",
                       "tags": ["pets", "cats"], "payload": {"year": 2001}},
                      {"text": "dogs wag their tails", "tags": ["pets"]}])
    assert ids[0] == "pet-1" and len(ids) == 2 and ids[1]
    item = client.get("pet-1")
    assert item.text.startswith("cats purr") and item.tags == ["pets", "cats"]
    assert item.payload == {"year": 2001} and item.kind == "fact"
    with pytest.raises(Conflict):
        client.add([{"id": "pet-1", "text": "something else"}], upsert=False)
    client.add([{"id": "pet-1", "text": "cats purr loudly", "tags": ["pets"]}])
    assert client.get("pet-1").text == "cats purr loudly"
    assert client.delete(ids[1]) is True
    with pytest.raises(NotFound):
        client.get(ids[1])
    assert client.delete(ids[1], missing_ok=True) is False


def test_search_with_filters(client):
    client.add([
        {"id": "f-cat", "text": "the cat chased a mouse", "kind": "fact",
         "tags": ["animals"], "payload": {"year": 1999}},
        {"id": "f-dog", "text": "the dog chased a cat", "kind": "fact",
         "tags": ["animals", "dogs"], "payload": {"year": 2010}},
        {"id": "n-cat", "text": "the cat is on the mat", "kind": "note",
         "tags": ["animals"], "payload": {"year": 2020}},
    ])
    hits = client.search("a cat and a mouse", k=10, filter={"tags": {"all": ["animals"]}})
    assert {"f-cat", "f-dog", "n-cat"} <= set(hits.ids) and _descending(hits)
    facts = client.search("a cat", k=10, filter={"kind": "fact", "tags": {"all": ["animals"]}})
    assert "n-cat" not in facts.ids and {"f-cat", "f-dog"} <= set(facts.ids)
    recent = client.search("a cat", k=10, filter={"payload": {"year": {"gte": 2000}},
                                                   "tags": {"all": ["animals"]}})
    assert set(recent.ids) == {"f-dog", "n-cat"}
    none = client.search("a cat", k=10, filter={"tags": {"none": ["animals"], "all": ["dogs"]}})
    assert len(none) == 0
    with pytest.raises(BadRequest):
        client.search("a cat", filter={"tags": "animals"})
    near = client.similar(id="f-cat", k=2, filter={"tags": {"all": ["animals"]}})
    assert "f-cat" not in near.ids and set(near.ids) <= {"f-dog", "n-cat"}


def test_vector_items_over_msgpack(live, dim):
    rng = np.random.default_rng(3)
    vec = rng.standard_normal(dim).astype(np.float32)
    with Client(live, api_key=KEY, format="msgpack") as mp:
        assert mp.add([{"id": "vec-1", "vector": vec, "tags": ["vec-only"], "text": "raw"}]) \
            == ["vec-1"]
        hits = mp.search(vector=vec, k=1, filter={"tags": {"all": ["vec-only"]}})
    assert hits.ids == ["vec-1"] and hits[0].score == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(BadRequest) as info:
        Client(live, api_key=KEY).add([{"id": "short", "vector": vec[:3]}])
    assert "dimension" in info.value.detail


def test_qa_answers_from_stored_memories(client):
    answers_by_id = {"qa-paris": "Paris", "qa-rome": "Rome"}
    client.add([
        {"id": "qa-paris", "text": "paris is the capital of france", "answer": "Paris",
         "kind": "qa"},
        {"id": "qa-rome", "text": "rome is the capital of italy", "answer": "Rome", "kind": "qa"},
    ])
    hit = client.search("capital of france", k=1, filter={"kind": "qa"})[0]
    assert hit.answer == answers_by_id[hit.id] and hit.kind == "qa"
    answers = client.qa("what is the capital of france", k=2, hops=2)
    assert 1 <= len(answers) <= 2
    for a in answers:
        assert a.support and a.support[0] == a.id and 0.0 <= a.score <= 1.0 + 1e-6
        if a.id in answers_by_id:  # a qa item answers with its answer, not its text
            assert a.answer == answers_by_id[a.id]
    only_rome = client.qa("what is the capital of france", k=3,
                          filter={"kind": "qa", "tags": {"all": ["italy"]}})
    assert only_rome == []  # no qa item is tagged italy yet
    client.add([{"id": "qa-rome", "text": "rome is the capital of italy", "answer": "Rome",
                 "kind": "qa", "tags": ["italy"]}])
    only_rome = client.qa("what is the capital of france", k=3,
                          filter={"kind": "qa", "tags": {"all": ["italy"]}})
    assert [a.id for a in only_rome] == ["qa-rome"] and only_rome[0].answer == "Rome"
    with pytest.raises(BadRequest):
        client.qa("what is the capital of france", hops=0)


def test_filter_decides_each_text(client):
    texts = ["the team scored a goal in the football match", "soldiers attack in the war",
             "a quiet afternoon"]
    decisions = client.filter(texts, allow=["sport"], block=["violence"], threshold=0.2)
    assert [d.text for d in decisions] == texts
    for d in decisions:
        assert d.decision in {"allow", "block", "neutral"}
        assert (d.concept is None) == (d.decision == "neutral")
        if d.decision != "neutral":
            assert d.concept in {"sport", "violence"} and d.score >= 0.2
    with pytest.raises(BadRequest):
        client.filter(texts)  # neither allow nor block


def test_add_many_stores_good_items_and_names_bad_ones(client, dim):
    before = client.health().items
    good = np.eye(dim, dtype=np.float32)[0]
    items = [{"id": f"bulk-{i}", "vector": good, "tags": ["bulk"]} for i in range(120)]
    items[7] = {"id": "bulk-7", "vector": good[:2]}      # wrong dimension
    items[90] = {"id": "bulk-90", "tags": ["bulk"]}       # neither text nor vector
    seen = []
    report = client.add_many(items, batch_size=50, progress=lambda d, t: seen.append((d, t)))
    assert [f.id for f in report.failures] == ["bulk-7", "bulk-90"]
    assert all(not f.maybe_applied for f in report.failures)
    assert "dimension" in report.failures[0].reason
    assert report.added == 118 and seen[-1] == (120, 120)
    assert client.health().items == before + 118


def test_oversized_body_is_413(client):
    with pytest.raises(PayloadTooLarge):
        client.add([{"id": "huge", "text": "cat " * 400_000}])  # ~1.6 MB > the 1 MiB limit



def test_encode_objects_matches_the_concepts_they_relate_to(client, dim):
    vectors = client.encode(objects=[{"features": ["fur"], "relations": [["is_a", "cat"]]}])
    assert vectors.shape == (1, dim)
    with pytest.raises(ValueError, match="exactly one"):
        client.encode(["cat"], objects=[{"features": ["fur"]}])
