"""A model switch in a data directory with collections: every collection bound to the model
(``"model": "default"``) is re-encoded by the new model and switched with ``default`` in
one commit, before and after a restart, and back on a rollback; items with only a vector
are kept as they are; collections with their own vectors (``"model": null``) are never
touched; collections made or removed during a switch, and requests pinned before it, see
one side whole."""

from __future__ import annotations

import json
import os
import time

import numpy as np
from service_model_fixture import build_model

from world2vec import cli
from world2vec.embeddings import load_model
from world2vec.memory.collections.active_model import read_pointer
from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig
from world2vec.service.models import switch

TEXTS = ["the cat in the sun", "a king in paris", "the dog and the puppy"]
NOTES = ["the lion and the tiger", "rain and snow in berlin", "a song on the piano"]
OWN = [0.6, 0.8] + [0.0] * 30            # a vector-only item's vector (a unit vector)


def _setup(tmp_path):
    model_dir = build_model(str(tmp_path / "m"))
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    other_dir = build_model(str(data / "models" / "other"), seed=11)
    return model_dir, data, load_model(model_dir), load_model(other_dir)


def _switch(app, client, name: str) -> dict:
    job = client.post(f"/models/{name}/activate", json={}).get_json()["job"]
    assert app.extensions["world2vec.models"].jobs.wait_idle(60)
    result = client.get(f"/jobs/{job}").get_json()
    assert result["state"] == "done", result
    return result["result"]


def _fill(client) -> None:
    items = [{"id": f"i{n}", "text": t} for n, t in enumerate(TEXTS)]
    assert client.post("/memories", json={"items": items}).status_code == 200
    assert client.post("/collections", json={"name": "notes"}).status_code == 201
    assert client.post("/collections", json={"name": "raw", "dim": 2, "model": None}
                       ).status_code == 201
    notes = [{"id": f"n{n}", "text": t} for n, t in enumerate(NOTES)]
    notes.append({"id": "nv", "vector": OWN})
    assert client.post("/collections/notes/memories", json={"items": notes}).status_code == 200
    assert client.post("/collections/raw/memories",
                       json={"items": [{"id": "r1", "vector": [1.0, 0.0]}]}).status_code == 200


def _vector(client, collection: str, item_id: str) -> np.ndarray:
    r = client.get(f"/collections/{collection}/memories/{item_id}")
    assert r.status_code == 200, r.get_json()
    return np.asarray(r.get_json()["vector"], dtype=np.float32)


def _assert_on(client, model, name: str, data) -> None:
    """Every bound collection holds ``model``'s encodings, each text found first by itself;
    the vector-only item and the model-less collection are as they were written."""
    for collection, texts, prefix in (("default", TEXTS, "i"), ("notes", NOTES, "n")):
        for n, text in enumerate(texts):
            hits = client.post(f"/collections/{collection}/search",
                               json={"text": text, "k": 1}).get_json()["results"]
            assert hits[0]["id"] == f"{prefix}{n}" and hits[0]["score"] > 0.999, hits
            expected = np.asarray(model.encode_texts([text]), dtype=np.float32)[0]
            assert np.allclose(_vector(client, collection, f"{prefix}{n}"), expected, atol=1e-5)
    assert np.allclose(_vector(client, "notes", "nv"), OWN, atol=1e-6)
    assert np.allclose(_vector(client, "raw", "r1"), [1.0, 0.0])
    raw = client.post("/collections/raw/search", json={"vector": [1.0, 0.0], "k": 1})
    assert raw.get_json()["results"][0]["id"] == "r1"
    pointer = read_pointer(str(data))
    assert pointer.model == name and "raw" not in pointer.stores
    assert sorted(os.listdir(data / "stores")) == sorted(
        os.path.basename(pointer.stores[name]) for name in ("default", "notes"))
    assert os.listdir(data / "collections" / "notes") == ["manifest.json"]   # old side gone
    assert any(name.startswith("wal-") for name in os.listdir(data / "collections" / "raw"))


def test_a_switch_reencodes_every_bound_collection_and_a_rollback_brings_them_back(tmp_path,
                                                                                 capsys):
    model_dir, data, first, other = _setup(tmp_path)
    config = ServiceConfig(model=model_dir, data=str(data))
    app = create_app(config)
    try:
        client = app.test_client()
        _fill(client)
        before = _vector(client, "notes", "n0")
        result = _switch(app, client, "other")
        assert result["stores"]["notes"] == {"reencoded": 3, "vector_only": 1, "own_vector": 0,
                                             "unencodable": 0}
        assert "raw" not in result["stores"] and result["items"] == 3 + 4
        assert not np.allclose(_vector(client, "notes", "n0"), before, atol=1e-3)
        health = client.get("/health").get_json()
        assert health["model"] == "other"
        assert health["collections"] == {"default": 3, "notes": 4, "raw": 1}
        _assert_on(client, other, "other", data)
    finally:
        close_app(app)
    app = create_app(config)                       # a restart: the same side, whole
    try:
        client = app.test_client()
        _assert_on(client, other, "other", data)
        assert client.post("/collections/notes/memories",          # and writable there
                           json={"items": [{"id": "n9", "text": "the fox"}]}).status_code == 200
        result = _switch(app, client, "fixture-features")           # the rollback
        assert result["previous"] == "other" and result["stores"]["notes"]["reencoded"] == 4
        _assert_on(client, first, "fixture-features", data)
        assert client.get("/collections/notes/memories/n9").status_code == 200
    finally:
        close_app(app)
    app = create_app(config)
    try:
        _assert_on(app.test_client(), first, "fixture-features", data)
    finally:
        close_app(app)
    capsys.readouterr()
    for name, count in (("default", 3), ("notes", 5)):   # `world2vec dump` reads them there
        assert cli.main(["dump", "--data", str(data), "--collection", name]) == 0
        dumped = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert len(dumped) == count
    n1 = next(item for item in dumped if item["id"] == "n1")
    assert np.allclose(n1["vector"], first.encode_texts([NOTES[1]])[0], atol=1e-5)


def test_a_removed_switched_collection_made_anew_starts_empty(tmp_path):
    model_dir, data, _, _ = _setup(tmp_path)
    config = ServiceConfig(model=model_dir, data=str(data))
    app = create_app(config)
    try:
        client = app.test_client()
        _fill(client)
        _switch(app, client, "other")
        named = read_pointer(str(data)).stores["notes"]
        assert client.delete("/collections/notes").status_code == 200
        assert not os.path.exists(data / named)                 # its store went with it
        assert client.post("/collections", json={"name": "notes"}).status_code == 201
    finally:
        close_app(app)
    app = create_app(config)          # the pointer still names the removed store: not used
    try:
        assert app.test_client().get("/health").get_json()["collections"]["notes"] == 0
    finally:
        close_app(app)


def test_collections_made_or_removed_during_a_switch(tmp_path, monkeypatch):
    model_dir, data, _, other = _setup(tmp_path)
    config = ServiceConfig(model=model_dir, data=str(data))
    app = create_app(config)
    client = app.test_client()
    copy_items = switch.copy_items
    calls = []

    def copy_then_change(store):     # the job's copies: default, gone, notes (by name)
        calls.append(store)
        if len(calls) == 1:          # "gone" is removed before its copy ...
            assert client.delete("/collections/gone").status_code == 200
        copy = copy_items(store)
        if len(calls) == 3:          # ... "notes" after it, and "late" is made meanwhile
            assert client.delete("/collections/notes").status_code == 200
            assert client.post("/collections", json={"name": "late"}).status_code == 201
            assert client.post("/collections/late/memories", json={"items": [
                {"id": "l1", "text": NOTES[0]}, {"id": "l2", "text": NOTES[2]}]}
                               ).status_code == 200
        return copy

    try:
        _fill(client)
        assert client.post("/collections", json={"name": "gone"}).status_code == 201
        monkeypatch.setattr(switch, "copy_items", copy_then_change)
        result = _switch(app, client, "other")
        assert result["collections_made_during_switch"] == ["late"]
        assert set(result["stores"]) == {"default", "late"}
        assert client.get("/collections/notes").status_code == 404
        assert set(read_pointer(str(data)).stores) == {"default", "late"}
        assert len(os.listdir(data / "stores")) == 2
    finally:
        close_app(app)
    app = create_app(config)
    try:
        client = app.test_client()
        for item_id, text in (("l1", NOTES[0]), ("l2", NOTES[2])):
            hits = client.post("/collections/late/search", json={"text": text, "k": 1}
                               ).get_json()["results"]
            assert hits[0]["id"] == item_id
            assert np.allclose(_vector(client, "late", item_id), other.encode_texts([text])[0],
                               atol=1e-5)
    finally:
        close_app(app)


def test_requests_pinned_before_a_switch_see_every_collection_on_the_old_side(tmp_path,
                                                                              monkeypatch):
    model_dir, data, first, other = _setup(tmp_path)
    app = create_app(ServiceConfig(model=model_dir, data=str(data)))
    state = app.extensions["world2vec"]
    pins = []
    copy_items = switch.copy_items

    def copy_with_a_relation_taught(store):   # a new pair (new relations) during the switch
        if len(pins) == 1:
            state.refit_relations(state.model)
            pins.append(state.pinned())
        return copy_items(store)

    try:
        client = app.test_client()
        _fill(client)
        pins.append(state.pinned())
        monkeypatch.setattr(switch, "copy_items", copy_with_a_relation_taught)
        job = client.post("/models/other/activate", json={}).get_json()["job"]
        deadline = time.monotonic() + 60
        while state.model.name != "other" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert state.model.name == "other" and len(pins) == 2
        new_side = state.scope("notes").store.get("n1").vector
        assert np.allclose(new_side, other.encode_texts([NOTES[1]])[0], atol=1e-5)
        for pinned in pins:                    # the job waits for both before closing
            assert client.get(f"/jobs/{job}").get_json()["state"] == "running"
            assert pinned.model.name == "fixture-features"
            old_side = pinned.scope("notes").store.get("n1").vector
            assert np.allclose(old_side, first.encode_texts([NOTES[1]])[0], atol=1e-5)
            pinned.unpin()
            time.sleep(0.3)
        assert app.extensions["world2vec.models"].jobs.wait_idle(60)
        assert client.get(f"/jobs/{job}").get_json()["state"] == "done"
    finally:
        close_app(app)
