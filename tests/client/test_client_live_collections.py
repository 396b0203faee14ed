"""The client's collections, data operations, snapshots, relations and models against a real
``world2vec serve``, and AsyncClient against it.

The server grows these routes in parallel with the client: each group of tests probes its
route once and skips while the server answers 404 for it, so the tests start running by
themselves the day the server has the route.
"""

from __future__ import annotations

import asyncio
import importlib.util
import tarfile

import numpy as np
import pytest
import requests

from world2vec_client import (
    AsyncClient,
    BadRequest,
    Client,
    Conflict,
    NotFound,
    Unauthorized,
)

if importlib.util.find_spec("world2vec.service.app") is None:  # pragma: no cover
    pytest.skip("the world2vec service package is not installed", allow_module_level=True)

from client_live_server import KEY


@pytest.fixture(scope="module", params=("faiss", "milvus"))
def live_backend(request) -> str:
    """Every test against a server on the embedded store and one on Milvus Lite."""
    return request.param


@pytest.fixture(scope="module")
def has_route(live):
    """``has_route("/collections")``: does the server know the route (probed once)?"""
    known: dict[str, bool] = {}

    def probe(path: str) -> bool:
        if path not in known:
            known[path] = requests.get(live + path, timeout=30).status_code != 404
        return known[path]
    return probe


@pytest.fixture
def requires_collections(has_route):
    if not has_route("/collections"):
        pytest.skip("the server has no /collections yet")


@pytest.fixture
def client(live):
    with Client(live, api_key=KEY) as c:
        yield c


@pytest.fixture
def raw(client, requires_collections):
    """A collection of 3-d vectors brought by the caller, removed afterwards."""
    col = client.create_collection("raw-vecs", dim=3, model=None, metric="cosine")
    yield col
    client.delete_collection("raw-vecs", missing_ok=True)


def vec_items(n: int) -> list[dict]:
    rng = np.random.default_rng(7)
    return [{"id": f"v{i:03d}", "vector": rng.standard_normal(3).astype(np.float32),
             "tags": ["even" if i % 2 == 0 else "odd"], "payload": {"n": i}} for i in range(n)]


def test_create_list_describe_and_delete_collections(client, requires_collections):
    dim = client.health().dim
    notes = client.create_collection("notes-live")
    try:
        listed = {c.name: c for c in client.collections()}
        assert {"default", "notes-live"} <= set(listed)
        assert listed["notes-live"].model == "default" and listed["notes-live"].dim == dim
        assert listed["notes-live"].items == 0 and listed["notes-live"].metric == "cosine"
        info = notes.info()
        assert info.name == "notes-live" and info.items == 0 and info.bytes is not None
        with pytest.raises(Conflict):
            client.create_collection("notes-live")
        with pytest.raises(BadRequest):
            client.create_collection("Not A Name")
        with pytest.raises(NotFound):
            client.collection_info("ghost-collection")
        with pytest.raises(Unauthorized):
            Client(client.url).create_collection("no-key")
    finally:
        assert client.delete_collection("notes-live") is True
    with pytest.raises(NotFound):
        notes.count()


def test_data_operations_on_own_vectors(raw):
    assert raw.add(vec_items(30)) == [f"v{i:03d}" for i in range(30)]
    assert raw.count() == 30 and raw.count({"tags": {"all": ["odd"]}}) == 15
    assert raw.count({"or": [{"payload": {"n": {"lt": 3}}}, {"not": {"tags": {"any": ["even"]}}}]}) \
        == 17
    found = raw.get_many(["v001", "nope"])
    assert [i.id for i in found] == ["v001"] and found.missing == ["nope"]
    item = raw.patch("v001", {"extra": "yes"}, tags=["odd", "patched"])
    assert item.payload == {"n": 1, "extra": "yes"} and item.tags == ["odd", "patched"]
    stored = raw.get("v001")
    hit = raw.search(vector=stored.vector, k=1, with_vectors=True)[0]
    assert hit.id == "v001" and hit.score == pytest.approx(1.0, abs=1e-4)  # the vector was kept
    cosine = hit.vector @ stored.vector / np.linalg.norm(hit.vector) / np.linalg.norm(stored.vector)
    assert cosine == pytest.approx(1.0, abs=1e-5)
    first, skipped = raw.search(vector=stored.vector, k=3), raw.search(vector=stored.vector, k=2,
                                                                       offset=1)
    assert skipped.ids == first.ids[1:3]
    assert all(h.score >= 0.5 for h in raw.search(vector=stored.vector, k=30, score_threshold=0.5))
    batches = raw.search_batch([{"vector": stored.vector}, {"vector": -stored.vector}], k=2)
    assert len(batches) == 2 and batches[0].ids[0] == "v001" and "v001" not in batches[1].ids
    assert raw.delete_many(["v000", "v002", "missing"]) == 2
    assert raw.delete_many(filter={"tags": {"all": ["patched"]}}) == 1
    assert raw.count() == 27
    with pytest.raises(BadRequest):
        raw.add([{"id": "words", "text": "a collection without a model takes no text"}])


def test_scroll_returns_every_item_once(raw):
    raw.add(vec_items(23))
    page = raw.scroll(limit=10)
    assert len(page) == 10 and page.next_cursor is not None
    ids = [i.id for i in raw.iter_items(page_size=6)]
    assert sorted(ids) == [f"v{i:03d}" for i in range(23)] and len(ids) == len(set(ids))
    odd = list(raw.iter_items({"tags": {"all": ["odd"]}}, page_size=4, with_vectors=True))
    assert len(odd) == 11 and all(i.vector is not None and i.vector.shape == (3,) for i in odd)


def test_unscoped_methods_are_the_default_collection(client, requires_collections):
    client.add([{"id": "unscoped-1", "text": "a note in the default collection"}])
    default = client.collection("default")
    assert default.get("unscoped-1").text == "a note in the default collection"
    assert client.count() == default.count() >= 1


def test_snapshot_roundtrip(client, has_route, tmp_path, live_backend):
    if live_backend == "milvus":
        pytest.skip("snapshots are archives of the embedded store's files (501 with Milvus)")
    if not has_route("/snapshots"):
        pytest.skip("the server has no /snapshots yet")
    client.add([{"id": "snap-item", "text": "kept in the snapshot"}])
    snap = client.create_snapshot()
    assert snap.items >= 1 and snap.name in [s.name for s in client.snapshots()]
    path = client.download_snapshot(snap.name, tmp_path)
    assert path.exists() and tarfile.is_tarfile(path)
    if snap.bytes is not None:
        assert path.stat().st_size == snap.bytes


def test_teach_transform_and_forget_a_relation(client, has_route):
    if not has_route("/relations"):
        pytest.skip("the server has no /relations yet")
    pairs = [("france", "paris"), ("italy", "rome"), ("japan", "tokyo"), ("germany", "berlin"),
             ("spain", "madrid"), ("russia", "moscow")]
    taught = client.teach("live_capital", pairs, replace=True)
    assert taught.name == "live_capital" and 0.0 <= taught.accuracy <= 1.0
    assert "live_capital" in [r.name for r in client.relations()]
    hits = client.transform("live_capital", "china", k=5)
    assert len(hits) == 5 and "china" not in hits.ids
    with pytest.raises(Conflict):
        client.teach("live_capital", pairs)
    client.forget("live_capital")
    with pytest.raises(NotFound):
        client.transform("live_capital", "china")


def test_activating_the_served_model_is_a_job_that_does_nothing(client, has_route):
    if not has_route("/models"):
        pytest.skip("the server has no /models yet")
    models = client.models()
    assert models.active in [m.name for m in models]
    job = client.wait(client.activate(models.active), timeout=120, poll=0.2)
    assert job.state == "done" and client.models().active == models.active


def test_async_client_on_the_live_service(live):
    async def main():
        async with AsyncClient(live, api_key=KEY) as c:
            health = await c.health()
            hits, encoded = await asyncio.gather(c.similar("cat", k=3), c.encode(["cat", "dog"]))
            await c.add([{"id": "async-1", "text": "cats purr", "tags": ["async"]}])
            item = await c.get("async-1")
            found = await c.search("purring cats", k=5, filter={"tags": {"all": ["async"]}})
            with pytest.raises(NotFound):
                await c.get("async-missing")
            assert await c.delete("async-1") is True
        async with AsyncClient(live, format="msgpack") as mp:
            packed = await mp.encode(["cat", "dog"])
        return health, hits, encoded, item, found, packed
    health, hits, encoded, item, found, packed = asyncio.run(main())
    assert health.ok and len(hits) == 3 and "cat" not in hits.ids
    assert encoded.shape == (2, health.dim) and item.tags == ["async"]
    assert found.ids == ["async-1"]
    np.testing.assert_allclose(packed, encoded, atol=1e-6)


def test_async_collections_on_the_live_service(live, requires_collections):
    async def main():
        async with AsyncClient(live, api_key=KEY) as c:
            col = await c.create_collection("async-vecs", dim=3, model=None)
            try:
                await col.add(vec_items(9))
                ids = [i.id async for i in col.iter_items(page_size=4)]
                return ids, await col.count({"tags": {"all": ["even"]}})
            finally:
                await c.delete_collection("async-vecs")
    ids, even = asyncio.run(main())
    assert sorted(ids) == [f"v{i:03d}" for i in range(9)] and even == 5
