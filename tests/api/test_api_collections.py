"""``world2vec.Memory``'s collections in process: one data directory read and written by
both the in-process memory and the service, the refusals worded as the service words
them (compared problem by problem with the app's answers), and what only a local
collection object can show (it follows its name). Behaviour shared with the client
is tested against both in tests/client/test_client_memory_parity.py."""

from __future__ import annotations

import numpy as np
import pytest

import world2vec
from world2vec.memory import StoreClosed
from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig

NOTES = [{"id": "cat", "text": "the cat sat on the mat", "tags": ["pets"]},
         {"id": "car", "text": "the car drove down the road"},
         {"id": "bank", "kind": "qa", "text": "the bank lends money to people",
          "answer": "the bank"}]


@pytest.fixture(scope="module")
def model():
    return world2vec.load()


@pytest.fixture
def mem(model, tmp_path):
    with world2vec.Memory(tmp_path / "data", model=model) as memory:
        yield memory


@pytest.fixture
def served(model, tmp_path):
    """A function that builds the service's app on a data directory (closed afterwards)."""
    apps = []

    def serve(data):
        app = create_app(ServiceConfig(data=str(data)), model=model)
        apps.append(app)
        return app.test_client()
    yield serve
    for app in apps:
        close_app(app)


def vectors(n: int, dim: int = 8, seed: int = 5) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def test_a_directory_moves_between_memory_and_service(model, tmp_path, served):
    data = tmp_path / "data"
    rows = vectors(5)
    with world2vec.Memory(data, model=model) as mem:
        mem.create_collection("raw", dim=8, model=None, metric="dot").add(
            [{"id": f"r{i}", "vector": v} for i, v in enumerate(rows)])
        mem.create_collection("notes").add(NOTES)
    http = served(data)
    listed = {c["name"]: c for c in http.get("/collections").get_json()["collections"]}
    assert listed["raw"] == {"name": "raw", "dim": 8, "metric": "dot", "model": None, "items": 5}
    assert listed["notes"]["items"] == 3 and listed["default"]["items"] == 0
    found = http.post("/collections/notes/search", json={"text": "a kitten on a rug", "k": 1})
    assert [r["id"] for r in found.get_json()["results"]] == ["cat"]
    assert http.post("/collections", json={"name": "from-service", "dim": 3,
                                           "model": None}).status_code == 201
    assert http.post("/collections/from-service/memories", json={"items": [
        {"id": "x", "vector": [1.0, 0.0, 0.0]}, {"id": "y", "vector": [0.0, 1.0, 0.0]}]}
    ).status_code == 200
    close_app_of(http)
    with world2vec.Memory(data, model=model) as again:
        assert [c.name for c in again.collections()] == ["default", "from-service", "notes", "raw"]
        assert again.collection("from-service").search(vector=[0.1, 1.0, 0.0], k=1).ids == ["y"]
        hits = again.collection("raw").search(vector=rows[2], k=5)
        dots = rows @ rows[2]
        assert hits.ids == [f"r{i}" for i in np.argsort(-dots, kind="stable")]
        assert np.allclose([h.score for h in hits], np.sort(dots)[::-1], atol=1e-4)


def close_app_of(http) -> None:
    close_app(http.application)


def problem_of(response) -> dict:
    assert response.status_code >= 400, response.get_json()
    return response.get_json()


def test_refusals_are_the_service_problems(mem, served, tmp_path):
    """Each bad call made in process and over the app: the same problem document."""
    http = served(tmp_path / "served")
    v8 = vectors(1)[0].tolist()
    raw = mem.create_collection("raw", dim=8, model=None)
    assert http.post("/collections", json={"name": "raw", "dim": 8, "model": None}).status_code == 201
    cases = [
        (lambda: mem.create_collection("Bad Name", dim=8, model=None),
         ("post", "/collections", {"name": "Bad Name", "dim": 8, "model": None})),
        (lambda: mem.create_collection("raw", dim=8, model=None),
         ("post", "/collections", {"name": "raw", "dim": 8, "model": None})),
        (lambda: mem.create_collection("m", metric="hamming"),
         ("post", "/collections", {"name": "m", "metric": "hamming", "model": "default"})),
        (lambda: mem.create_collection("m", dim=7),
         ("post", "/collections", {"name": "m", "dim": 7, "model": "default"})),
        (lambda: mem.collection_info("ghost"), ("get", "/collections/ghost", None)),
        (lambda: mem.delete_collection("default"), ("delete", "/collections/default", None)),
        (lambda: raw.add([{"id": "t", "text": "a cat"}]),
         ("post", "/collections/raw/memories", {"items": [{"id": "t", "text": "a cat"}]})),
        (lambda: raw.add([{"id": "s", "vector": [1.0, 2.0]}]),
         ("post", "/collections/raw/memories", {"items": [{"id": "s", "vector": [1.0, 2.0]}]})),
        (lambda: raw.search(vector=[1.0, 2.0]),
         ("post", "/collections/raw/search", {"vector": [1.0, 2.0]})),
        (lambda: raw.search(vector=v8, score_threshold="high"),
         ("post", "/collections/raw/search", {"vector": v8, "score_threshold": "high"})),
        (lambda: raw.search("words", mode="semantic"),
         ("post", "/collections/raw/search", {"text": "words", "mode": "semantic"})),
        (lambda: raw.search_batch([{"vector": v8}, {"text": "a cat"}]),
         ("post", "/collections/raw/search", {"queries": [{"vector": v8}, {"text": "a cat"}]})),
        (lambda: raw.search_batch([{"vector": v8}], mode="hybrid"),
         ("post", "/collections/raw/search", {"queries": [{"vector": v8}], "mode": "hybrid"})),
        (lambda: raw.scroll(0), ("post", "/collections/raw/memories/scroll", {"limit": 0})),
        (lambda: raw.count({"payload": {"n": {"between": 1}}}),
         ("post", "/collections/raw/memories/count", {"filter": {"payload": {"n": {"between": 1}}}})),
        (lambda: raw.patch("nope", {"a": 1}), ("patch", "/collections/raw/memories/nope",
                                               {"payload": {"a": 1}})),
        (lambda: raw.qa("what?"), ("post", "/collections/raw/qa", {"question": "what?"})),
        (lambda: mem.collection("ghost").count(), ("post", "/collections/ghost/memories/count", {})),
    ]
    for call, (method, path, body) in cases:
        with pytest.raises(world2vec.World2vecError) as err:
            call()
        answer = problem_of(getattr(http, method)(path, json=body))
        assert err.value.problem == answer, path
        assert err.value.status == answer["status"] and err.value.detail == answer["detail"]


def test_a_collection_object_follows_its_name(mem):
    notes = mem.create_collection("notes")
    notes.add(NOTES)
    assert notes.info().items == 3 and mem.collection_info("notes").bytes > 0
    assert mem.delete_collection("notes") is True
    with pytest.raises(world2vec.NotFound, match="no collection named 'notes'"):
        notes.get("cat")
    mem.create_collection("notes", dim=4, model=None)
    assert notes.count() == 0 and notes.info().dim == 4      # the new collection of that name
    assert repr(notes).startswith("Collection('notes'")


def test_model_bound_collections_encode_search_and_answer_on_their_own(mem):
    notes = mem.create_collection("notes")
    notes.add(NOTES)
    mem.add([{"id": "elsewhere", "text": "a bank of the river"}])
    assert notes.search("a kitten on a rug", k=1).ids == ["cat"]
    assert notes.search("a kitten on a rug", k=1).info == {"mode": "hybrid"}
    assert notes.search("money", k=3, mode="lexical").ids == ["bank"]
    assert notes.search(concept="automobile", k=1).ids == ["car"]
    answer = notes.qa("who lends money?", k=1)[0]
    assert answer.id == "bank" and answer.answer == "the bank"
    assert mem.search("river bank", k=5).ids == ["elsewhere"]          # default is apart
    assert mem.count() == 1 and notes.count() == 3


def test_a_collection_without_a_model_ranks_words_but_encodes_nothing(mem):
    raw = mem.create_collection("raw", dim=8, model=None)
    rows = vectors(2)
    raw.add([{"id": "a", "vector": rows[0], "text": "apples and pears"},
             {"id": "b", "vector": rows[1], "text": "boats and ships"}])
    assert raw.search("ships", mode="lexical").ids == ["b"]   # BM25 needs no model
    for call in (lambda: raw.search("ships"), lambda: raw.search(concept="ship"),
                 lambda: raw.qa("which boats?")):
        with pytest.raises(world2vec.BadRequest, match="has no model"):
            call()


@pytest.mark.parametrize("metric", ["dot", "l2"])
def test_search_equals_brute_force_for_each_metric(mem, metric):
    rows, query = vectors(30, seed=8), vectors(1, seed=9)[0]
    col = mem.create_collection(f"m-{metric}", dim=8, model=None, metric=metric)
    col.add([{"id": f"v{i:02d}", "vector": v} for i, v in enumerate(rows)])
    scores = rows @ query if metric == "dot" else -np.linalg.norm(rows - query, axis=1)
    order = np.argsort(-scores, kind="stable")[:5]
    hits = col.search(vector=query, k=5)
    assert hits.ids == [f"v{i:02d}" for i in order]
    assert np.allclose([h.score for h in hits], scores[order], rtol=1e-4, atol=1e-4)


def test_calls_the_client_refuses_before_sending_are_value_errors(mem):
    raw = mem.create_collection("raw", dim=8, model=None)
    for call in (lambda: raw.get_many("abc"), lambda: raw.delete_many(),
                 lambda: raw.delete_many(["a"], filter={}), lambda: raw.patch("a"),
                 lambda: raw.search_batch("one text"), lambda: list(raw.iter_items(page_size=0)),
                 lambda: mem.collection(""), lambda: raw.search_batch([{"text": "a", "concept": "b"}])):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(world2vec.BadRequest, match="must not|non-empty list"):
        raw.search_batch([])


def test_collections_persist_and_a_closed_memory_refuses_use(model, tmp_path):
    with world2vec.Memory(tmp_path / "data", model=model) as mem:
        mem.create_collection("raw", dim=3, model=None).add([{"id": "x", "vector": [1, 0, 0]}])
    with pytest.raises(StoreClosed):
        mem.collection("raw").count()
    with world2vec.Memory(tmp_path / "data", model=model) as again:
        info = again.collection_info("raw")
        assert (info.dim, info.model, info.items, info.index) == (3, None, 1, "flat")
        assert "created_at" in info.extra
        assert again.collection("raw").get("x").vector.tolist() == [1.0, 0.0, 0.0]
