"""Collections and data operations through the Flask test client, checked against brute
force: a bring-your-own collection of dim 8, search with or/not filters, batch search,
score threshold, offset, count, get, patch, scroll, delete by filter, snapshots restored
into a new data directory, and a full disk (507, writes resume, nothing lost).

On both backends (``backend``): the embedded store, and Milvus Lite as ``serve --backend
milvus`` opens it; snapshots and a full disk are about DATA's files, so embedded only."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest
from service_backends import BACKENDS, EMBEDDED_FILES
from service_server import API_KEY

from world2vec.memory import parse_filter
from world2vec.memory.collections.archive import restore_archive
from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig

AUTH = {"Authorization": f"Bearer {API_KEY}"}
DIM = 8
FILTERS = [None, {"tags": {"all": ["odd"]}},
           {"or": [{"payload": {"n": {"lt": 10}}}, {"not": {"tags": {"any": ["odd"]}}}]},
           {"not": {"or": [{"payload": {"n": {"gte": 30}}}, {"tags": {"all": ["even"]}}]}}]


def problem(resp, status: int, slug: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["type"].endswith("/" + slug), body
    return body


def vec_items(n: int, seed: int = 3, prefix: str = "v") -> list[dict]:
    rng = np.random.default_rng(seed)
    return [{"id": f"{prefix}{i:03d}", "vector": rng.normal(size=DIM).tolist(),
             "tags": ["even" if i % 2 == 0 else "odd"], "payload": {"n": i}} for i in range(n)]


def brute(items: list[dict], query, k: int, flt=None) -> list[tuple[str, float]]:
    parsed = parse_filter(flt)
    chosen = [it for it in items if parsed.matches("fact", it["tags"], it["payload"])]
    vecs = np.array([it["vector"] for it in chosen])
    vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    scores = vecs @ (np.asarray(query) / np.linalg.norm(query))
    order = np.argsort(-scores, kind="stable")[:k]
    return [(chosen[i]["id"], float(scores[i])) for i in order]


def same(results: list[dict], expected: list[tuple[str, float]]) -> None:
    assert len(results) == len(expected)
    np.testing.assert_allclose([r["score"] for r in results], [s for _, s in expected], atol=1e-5)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def milvus_app(model_dir, tmp_path_factory, backends, backend):
    """With Milvus, one app for the module, reset before each test; else None."""
    if backend != "milvus":
        yield None
        return
    flask_app = backends.app(backend, model_dir, str(tmp_path_factory.mktemp("data")),
                             api_key=API_KEY)
    yield flask_app
    close_app(flask_app)


@pytest.fixture
def app(model_dir, tmp_path, backends, backend, milvus_app):
    """An app with a new, empty memory."""
    if milvus_app is not None:
        backends.reset(milvus_app)
        yield milvus_app
        return
    flask_app = backends.app(backend, model_dir, str(tmp_path / "data"), api_key=API_KEY)
    yield flask_app
    close_app(flask_app)


@pytest.fixture
def embedded_only(backend):
    """Listed first, so a test about DATA's files skips before its app is made."""
    if backend == "milvus":
        pytest.skip(EMBEDDED_FILES)


@pytest.fixture
def own(app):
    """A client and 40 items in a collection of dim 8 brought by the caller."""
    client = app.test_client()
    assert client.post("/collections", json={"name": "own8", "dim": DIM, "model": None},
                       headers=AUTH).status_code == 201
    items = vec_items(40)
    assert client.post("/collections/own8/memories", json={"items": items},
                       headers=AUTH).get_json()["count"] == 40
    return client, items


def test_a_bring_your_own_collection_is_created_once_and_takes_only_its_vectors(app, backend):
    client = app.test_client()
    made = client.post("/collections", json={"name": "own8", "dim": DIM, "model": None},
                       headers=AUTH)
    assert made.status_code == 201
    info = made.get_json()
    # The index in use: the embedded store's choice for 0 items, or Milvus's (its own choice,
    # which it does not name: docs/SCALING.md)
    index = "flat" if backend == "faiss" else "AUTOINDEX"
    assert {k: info[k] for k in ("name", "dim", "metric", "model", "items", "index")} == \
        {"name": "own8", "dim": DIM, "metric": "cosine", "model": None, "items": 0, "index": index}
    # bytes: the embedded store's files (headers even when empty); Milvus tells no size per
    # collection, so it is the rows' vectors there (docs/SCALING.md)
    assert info["bytes"] > 0 if backend == "faiss" else info["bytes"] == 0
    assert info["created_at"] > 0
    problem(client.post("/collections", json={"name": "own8", "dim": DIM, "model": None},
                        headers=AUTH), 409, "collection-exists")
    assert problem(client.post("/collections", json={"name": "Own 8", "dim": 8}, headers=AUTH),
                   400, "invalid-collection")["param"] == "name"
    assert problem(client.post("/collections", json={"name": "nodim", "model": None},
                               headers=AUTH), 400, "invalid-collection")["param"] == "dim"
    problem(client.post("/collections", json={"name": "nokey", "dim": 8, "model": None}),
            401, "unauthorized")
    names = [c["name"] for c in client.get("/collections").get_json()["collections"]]
    assert names == ["default", "own8"]
    problem(client.post("/collections/own8/memories", json={"items": [{"text": "words"}]},
                        headers=AUTH), 400, "no-model")
    problem(client.post("/collections/own8/memories",
                        json={"items": [{"id": "x", "vector": [1.0] * (DIM + 1)}]}, headers=AUTH),
            400, "wrong-dimension")
    problem(client.post("/collections/own8/search", json={"text": "words"}), 400, "no-model")
    problem(client.post("/collections/own8/qa", json={"question": "why?"}), 400, "no-model")
    problem(client.post("/collections/ghost/search", json={"vector": [1.0] * DIM}), 404,
            "unknown-collection")
    problem(client.delete("/collections/default", headers=AUTH), 409, "collection-in-use")
    assert client.delete("/collections/own8", headers=AUTH).status_code == 200
    problem(client.post("/collections/own8/memories/count", json={}), 404, "unknown-collection")
    problem(client.get("/collections/own8"), 404, "unknown-collection")


def test_search_batch_threshold_and_offset_agree_with_brute_force(own):
    client, items = own
    queries = np.random.default_rng(8).normal(size=(3, DIM))
    for flt in FILTERS:
        for query in queries:
            body = {"vector": query.tolist(), "k": 7, "filter": flt}
            same(client.post("/collections/own8/search", json=body).get_json()["results"],
                 brute(items, query, 7, flt))
        batches = client.post("/collections/own8/search", json={
            "queries": [{"vector": q.tolist()} for q in queries], "k": 7, "filter": flt,
        }).get_json()["batches"]
        for query, batch in zip(queries, batches):
            same(batch["results"], brute(items, query, 7, flt))
    q = queries[0].tolist()
    top = client.post("/collections/own8/search", json={"vector": q, "k": 9}).get_json()["results"]
    paged = client.post("/collections/own8/search", json={"vector": q, "k": 4, "offset": 5})
    assert [r["id"] for r in paged.get_json()["results"]] == [r["id"] for r in top[5:9]]
    kept = client.post("/collections/own8/search", json={"vector": q, "k": 40,
                                                         "score_threshold": 0.3}).get_json()
    assert [r["id"] for r in kept["results"]] == [i for i, s in brute(items, q, 40) if s >= 0.3]
    shown = client.post("/collections/own8/search", json={"vector": q, "k": 1,
                                                          "with_vectors": True}).get_json()
    assert len(shown["results"][0]["vector"]) == DIM
    problem(client.post("/collections/own8/search", json={"queries": [], "k": 3}), 400,
            "bad-request")
    problem(client.post("/collections/own8/search", json={"vector": q, "offset": -1}), 400,
            "out-of-range")


def test_count_get_patch_scroll_and_delete_by_filter(own):
    client, items = own
    for flt in FILTERS:
        expected = sum(parse_filter(flt).matches("fact", it["tags"], it["payload"]) for it in items)
        assert client.post("/collections/own8/memories/count",
                           json={} if flt is None else {"filter": flt}).get_json()["count"] == expected
    got = client.post("/collections/own8/memories/get", json={"ids": ["v003", "nope"]}).get_json()
    assert [i["id"] for i in got["items"]] == ["v003"] and got["missing"] == ["nope"]
    assert len(got["items"][0]["vector"]) == DIM
    patched = client.patch("/collections/own8/memories/v003", json={"payload": {"x": 1},
                                                                     "tags": ["p"]}, headers=AUTH)
    assert patched.get_json()["payload"] == {"n": 3, "x": 1} and patched.get_json()["tags"] == ["p"]
    np.testing.assert_allclose(patched.get_json()["vector"], got["items"][0]["vector"], atol=1e-7)
    problem(client.patch("/collections/own8/memories/ghost", json={"kind": "x"}, headers=AUTH),
            404, "unknown-id")
    problem(client.patch("/collections/own8/memories/v003", json={"tags": "p"}, headers=AUTH),
            400, "bad-request")
    seen, cursor = [], None
    while True:
        page = client.post("/collections/own8/memories/scroll",
                           json={"limit": 6, "cursor": cursor, "filter": FILTERS[2]}).get_json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = sorted(it["id"] for it in items
                      if parse_filter(FILTERS[2]).matches("fact", it["tags"], it["payload"]))
    assert seen == expected
    deleted = client.post("/collections/own8/memories/delete", json={"filter": FILTERS[2]},
                          headers=AUTH).get_json()["deleted"]
    assert deleted == len(expected)
    assert client.post("/collections/own8/memories/count", json={}).get_json()["count"] == \
        40 - deleted
    problem(client.post("/collections/own8/memories/delete", json={"filter": {}}), 401,
            "unauthorized")
    problem(client.post("/collections/own8/memories/delete", json={}, headers=AUTH), 400,
            "missing-parameter")


def test_the_unscoped_routes_are_the_default_collection(app):
    client = app.test_client()
    client.post("/memories", json={"items": [{"id": "d1", "text": "a cat on a mat"}]},
                headers=AUTH)
    assert client.post("/memories/count", json={}).get_json()["count"] == 1
    assert client.post("/collections/default/memories/count", json={}).get_json()["count"] == 1
    assert client.get("/collections/default/memories/d1").get_json()["text"] == "a cat on a mat"
    page = client.post("/memories/scroll", json={"limit": 5}).get_json()
    assert [i["id"] for i in page["items"]] == ["d1"] and page["next_cursor"] is None
    health = client.get("/health").get_json()
    assert health["items"] == 1 and health["collections"] == {"default": 1}


def test_a_snapshot_restored_into_a_new_data_directory_serves_the_same_items(embedded_only, own,
                                                                               model_dir, tmp_path):
    client, items = own
    client.post("/memories", json={"items": [{"id": "d1", "text": "a cat"}]}, headers=AUTH)
    problem(client.post("/snapshots", json={}), 401, "unauthorized")
    taken = client.post("/snapshots", json={}, headers=AUTH)
    assert taken.status_code == 201
    info = taken.get_json()
    assert info["items"] == 41 and info["collections"] == {"default": 1, "own8": 40}
    assert [s["name"] for s in client.get("/snapshots").get_json()["snapshots"]] == [info["name"]]
    download = client.get(f"/snapshots/{info['name']}")
    assert download.status_code == 200 and len(download.data) == info["bytes"]
    problem(client.get("/snapshots/..secret.tar"), 404, "unknown-snapshot")
    problem(client.get("/snapshots/nothing.tar"), 404, "unknown-snapshot")
    archive = tmp_path / info["name"]
    archive.write_bytes(download.data)
    restore_archive(str(archive), str(tmp_path / "restored"))
    again = create_app(ServiceConfig(model=model_dir, data=str(tmp_path / "restored")))
    try:
        other = again.test_client()
        ids = [it["id"] for it in items]
        before = client.post("/collections/own8/memories/get", json={"ids": ids}).get_json()
        after = other.post("/collections/own8/memories/get", json={"ids": ids}).get_json()
        assert after == before
        assert other.get("/memories/d1").get_json()["text"] == "a cat"
        q = items[5]["vector"]
        assert other.post("/collections/own8/search", json={"vector": q, "k": 5}).get_json() == \
            client.post("/collections/own8/search", json={"vector": q, "k": 5}).get_json()
    finally:
        close_app(again)


def test_a_full_disk_is_a_507_and_writes_resume_with_nothing_lost(model_dir, tmp_path,
                                                                    monkeypatch):
    data = str(tmp_path / "data")
    app = create_app(ServiceConfig(model=model_dir, api_key=API_KEY, data=data))
    client = app.test_client()
    client.post("/collections", json={"name": "own8", "dim": DIM, "model": None}, headers=AUTH)
    client.post("/collections/own8/memories", json={"items": vec_items(10)}, headers=AUTH)

    def no_space(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", no_space)
    full = problem(client.post("/collections/own8/memories",
                               json={"items": vec_items(5, prefix="lost")}, headers=AUTH),
                   507, "insufficient-storage")
    assert full["status"] == 507 and "no space" in full["detail"]
    problem(client.post("/collections/own8/memories/delete", json={"ids": ["v001"]},
                        headers=AUTH), 507, "insufficient-storage")
    problem(client.post("/collections", json={"name": "more", "dim": 2, "model": None},
                        headers=AUTH), 507, "insufficient-storage")
    monkeypatch.undo()
    assert client.post("/collections/own8/memories", json={"items": vec_items(3, prefix="ok")},
                       headers=AUTH).status_code == 200
    close_app(app)
    app = create_app(ServiceConfig(model=model_dir, api_key=API_KEY, data=data))
    try:
        client = app.test_client()
        ids = [f"v{i:03d}" for i in range(10)] + ["ok000", "ok001", "ok002", "lost000"]
        got = client.post("/collections/own8/memories/get", json={"ids": ids}).get_json()
        assert got["missing"] == ["lost000"] and len(got["items"]) == 13
        assert [c["name"] for c in client.get("/collections").get_json()["collections"]] == \
            ["default", "own8"]
    finally:
        close_app(app)
