"""A model switch with ``--backend milvus``: the bound collections are re-encoded into new
Milvus collections and ONE record in Milvus switches every replica sharing it (two apps
on one Milvus Lite file here: the second follows by its poll); a rollback is the same
switch; a switch stopped before its record is written leaves the old side served, and
its leftovers go at the next startup; a host lacking the record's model says so and
picks it up once copied in. One Milvus Lite file for the module, emptied per test."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest
from service_model_fixture import WORDS, build_model

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from world2vec.embeddings import load_model
from world2vec.memory.milvus import connect
from world2vec.memory.milvus.active import ActiveRecord, ActiveRecords
from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig
from world2vec.service.replicas import switch as milvus_switch

POLL = 0.2
TIMEOUT = 1                      # request timeout: the grace is 2 x POLL + TIMEOUT
OWN = [0.6, 0.8] + [0.0] * 30    # a vector-only item's vector


def _texts(n: int, seed: int) -> list[str]:
    rng, seen, out = random.Random(seed), set(), []
    words = sorted(WORDS)
    while len(out) < n:
        picked = frozenset(rng.sample(words, 3))
        if picked not in seen:
            seen.add(picked)
            out.append("the {} and the {} with a {}".format(*sorted(picked)))
    return out


TEXTS = _texts(240, 1)
NOTES = _texts(30, 2)


@pytest.fixture(scope="module")
def milvus(tmp_path_factory):
    uri = str(tmp_path_factory.mktemp("milvus-switch") / "milvus.db")
    keeper = connect(uri)          # keeps Milvus Lite up while the tests' apps come and go
    yield uri, keeper
    keeper.close()


@pytest.fixture
def fresh(milvus, monkeypatch):
    uri, keeper = milvus
    for name in keeper.list_collections():
        keeper.drop_collection(name)
    monkeypatch.setenv("WORLD2VEC_MILVUS_POLL", str(POLL))
    return uri, keeper


def _host(tmp_path, name: str, uri: str, model_dir: str) -> ServiceConfig:
    """One host's data directory: its own copy of the model files (as every host has)."""
    data = tmp_path / name
    (data / "models").mkdir(parents=True)
    build_model(str(data / "models" / "other"), seed=11)
    return ServiceConfig(model=model_dir, data=str(data), backend="milvus", milvus_uri=uri,
                         timeout=TIMEOUT)


def _wait_job(app, client, job: str) -> dict:
    assert app.extensions["world2vec.models"].jobs.wait_idle(120)
    return client.get(f"/jobs/{job}").get_json()


def _switch(app, client, name: str) -> dict:
    answer = client.post(f"/models/{name}/activate", json={})
    assert answer.status_code == 202, answer.get_json()
    result = _wait_job(app, client, answer.get_json()["job"])
    assert result["state"] == "done", result
    return result["result"]


def _fill(client, texts, notes) -> None:
    items = [{"id": f"i{n}", "text": t} for n, t in enumerate(texts)]
    assert client.post("/memories", json={"items": items}).status_code == 200
    assert client.post("/collections", json={"name": "notes"}).status_code == 201
    assert client.post("/collections", json={"name": "raw", "dim": 2, "model": None}
                       ).status_code == 201
    rows = [{"id": f"n{n}", "text": t} for n, t in enumerate(notes)] + [{"id": "nv", "vector": OWN}]
    assert client.post("/collections/notes/memories", json={"items": rows}).status_code == 200
    assert client.post("/collections/raw/memories",
                       json={"items": [{"id": "r1", "vector": [1.0, 0.0]}]}).status_code == 200


def _assert_serves(app, client, model, texts, notes) -> None:
    """Every text item is found first by its own text and stored as ``model``'s encoding;
    the vector-only item and the model-less collection are as written."""
    assert client.get("/health").get_json()["model"] == model.name
    # dense: what a switch changes is the model's encoding (BM25 ranks the words alike)
    for path, rows, prefix in (("/search", texts, "i"),
                               ("/collections/notes/search", notes, "n")):
        for n, text in enumerate(rows):
            hits = client.post(path, json={"text": text, "k": 1, "mode": "dense"}).get_json()["results"]
            assert hits[0]["id"] == f"{prefix}{n}", (path, text, hits)
    collections = app.extensions["world2vec"].collections
    for name, rows, prefix in (("default", texts, "i"), ("notes", notes, "n")):
        found, missing = collections.get(name).store.get_many([f"{prefix}{n}" for n in
                                                               range(len(rows))])
        assert not missing
        expected = np.asarray(model.encode_texts(rows), dtype=np.float32)
        assert np.allclose(np.vstack([it.vector for it in found]), expected, atol=1e-5)
    assert np.allclose(collections.get("notes").store.get("nv").vector, OWN, atol=1e-6)
    assert np.allclose(collections.get("raw").store.get("r1").vector, [1.0, 0.0])
    names = [c["name"] for c in client.get("/collections").get_json()["collections"]]
    assert sorted(names) == ["default", "notes", "raw"]          # internal ones hidden


def _follows(client, name: str) -> None:
    deadline = time.monotonic() + 10 * POLL + 5
    while client.get("/health").get_json().get("model") != name:
        assert time.monotonic() < deadline, "the second replica never followed the switch"
        time.sleep(POLL / 2)


def test_train_switch_every_replica_and_roll_back(fresh, tmp_path):
    uri, keeper = fresh
    model_dir = build_model(str(tmp_path / "m"))
    first = load_model(model_dir)
    a_app = create_app(_host(tmp_path, "a", uri, model_dir))
    b_app = create_app(_host(tmp_path, "b", uri, model_dir))
    other = load_model(str(tmp_path / "a" / "models" / "other"))
    other.words.name = "other"                  # served under its directory's name
    try:
        a, b = a_app.test_client(), b_app.test_client()
        _fill(a, TEXTS, NOTES)
        assert b.get("/health").get_json()["collections"] == {"default": 240, "notes": 31,
                                                               "raw": 1}
        started = a.post("/models/train", json={"name": "trained", "texts": NOTES,
                                                "include_memories": True, "epochs": 1,
                                                "min_count": 1})
        assert started.status_code == 202, started.get_json()
        trained = _wait_job(a_app, a, started.get_json()["job"])
        assert trained["state"] == "done", trained
        assert (tmp_path / "a" / "models" / "trained" / "manifest.json").is_file()

        result = _switch(a_app, a, "other")
        assert result["stores"]["notes"] == {"reencoded": 30, "vector_only": 1, "own_vector": 0,
                                             "unencodable": 0}
        assert "raw" not in result["stores"] and result["items"] == 240 + 31
        _assert_serves(a_app, a, other, TEXTS, NOTES)
        _follows(b, "other")
        _assert_serves(b_app, b, other, TEXTS, NOTES)
        listed = set(keeper.list_collections())
        assert {"w2v__g1_default", "w2v__g1_notes", "w2v_raw"} <= listed
        assert {"w2v_default", "w2v_notes"} <= listed        # the old side, within its grace

        time.sleep(2 * POLL + TIMEOUT + 0.2)                 # the grace passes
        result = _switch(a_app, a, first.name)               # the rollback: the same switch
        assert result["previous"] == "other" and result["stores"]["default"]["reencoded"] == 240
        _assert_serves(a_app, a, first, TEXTS, NOTES)
        _follows(b, first.name)
        _assert_serves(b_app, b, first, TEXTS, NOTES)
        listed = set(keeper.list_collections())
        assert {"w2v__g2_default", "w2v__g2_notes", "w2v__g1_default", "w2v_raw"} <= listed
        assert not {"w2v_default", "w2v_notes"} & listed     # dropped once its grace passed
    finally:
        close_app(b_app)
        close_app(a_app)


def test_a_switch_stopped_before_its_record_leaves_the_old_side(fresh, tmp_path, monkeypatch):
    uri, keeper = fresh
    model_dir = build_model(str(tmp_path / "m"))
    first = load_model(model_dir)
    config = _host(tmp_path, "a", uri, model_dir)
    texts, notes = TEXTS[:20], NOTES[:5]
    app = create_app(config)
    try:
        client = app.test_client()
        _fill(client, texts, notes)

        def killed(records, record):
            raise RuntimeError("killed before the record was written")

        monkeypatch.setattr(milvus_switch, "commit", killed)
        monkeypatch.setattr(milvus_switch, "discard", lambda view, sides: None)   # no cleanup
        job = client.post("/models/other/activate", json={}).get_json()["job"]
        assert _wait_job(app, client, job)["state"] == "failed"
        _assert_serves(app, client, first, texts, notes)
        assert {"w2v__g1_default", "w2v__g1_notes"} <= set(keeper.list_collections())
    finally:
        close_app(app)
    monkeypatch.undo()
    monkeypatch.setenv("WORLD2VEC_MILVUS_POLL", str(POLL))
    app = create_app(config)                              # the next startup clears them
    try:
        assert not [n for n in keeper.list_collections() if n.startswith("w2v__g")]
        _assert_serves(app, app.test_client(), first, texts, notes)
    finally:
        close_app(app)


def test_a_host_lacking_the_served_model_says_so_then_follows(fresh, tmp_path):
    uri, keeper = fresh
    model_dir = build_model(str(tmp_path / "m"))
    config = _host(tmp_path, "a", uri, model_dir)
    close_app(create_app(config))                   # the memory, made by an earlier replica
    ActiveRecords(keeper, "w2v_").write(ActiveRecord("absent", generation=1))
    app = create_app(config)
    try:
        client = app.test_client()
        health = client.get("/health")
        assert health.status_code == 503 and "absent" in health.get_json()["error"]
        assert client.post("/search", json={"text": "cat"}).status_code == 503
        build_model(str(tmp_path / "a" / "models" / "absent"), seed=13)
        _follows(client, "absent")
        assert client.post("/search", json={"text": "cat"}).status_code == 200
    finally:
        close_app(app)


def test_a_replica_whose_poll_stalled_reads_the_record_before_it_writes(fresh, tmp_path):
    """A write is never applied by a replica that has not read the record for longer than
    the poll: the lagging replica follows the switch first, and the write lands on the new
    side, found by its text there at once."""
    uri, keeper = fresh
    model_dir = build_model(str(tmp_path / "m"))
    a_app = create_app(_host(tmp_path, "a", uri, model_dir))
    b_app = create_app(_host(tmp_path, "b", uri, model_dir))
    b_shared = b_app.extensions["world2vec.shared"]
    b_shared.stop()                                    # b's poll thread stalls for good
    try:
        a, b = a_app.test_client(), b_app.test_client()
        _fill(a, TEXTS[:20], NOTES[:5])
        _switch(a_app, a, "other")
        assert b.get("/health").get_json()["model"] != "other"   # b has not noticed
        time.sleep(POLL * 1.5)
        late = {"id": "late", "text": TEXTS[30]}
        assert b.post("/memories", json={"items": [late]}).status_code == 200
        assert b.get("/health").get_json()["model"] == "other"   # it read the record first
        new_side = a_app.extensions["world2vec"].collections.get("default").store
        assert new_side.get("late") is not None                  # on the new side, now
        hits = a.post("/search", json={"text": TEXTS[30], "k": 1, "mode": "dense"}).get_json()
        assert hits["results"][0]["id"] == "late"
    finally:
        close_app(b_app)
        close_app(a_app)


def test_a_write_is_refused_when_the_record_cannot_be_read(fresh, tmp_path, monkeypatch):
    uri, _ = fresh
    app = create_app(_host(tmp_path, "a", uri, build_model(str(tmp_path / "m"))))
    shared = app.extensions["world2vec.shared"]
    shared.stop()
    try:
        client = app.test_client()
        time.sleep(POLL * 1.5)

        def unreachable():
            raise ConnectionError("Milvus is down")

        monkeypatch.setattr(shared.records, "read", unreachable)
        answer = client.post("/memories", json={"items": [{"id": "x", "text": TEXTS[0]}]})
        assert answer.status_code == 503 and "retry" in answer.get_json()["detail"]
        assert client.post("/search", json={"text": TEXTS[0]}).status_code == 200  # reads go on
        monkeypatch.undo()
        assert client.post("/memories", json={"items": [{"id": "x", "text": TEXTS[0]}]}
                           ).status_code == 200
    finally:
        close_app(app)
