"""Switching the served model live: under three reader threads no request fails and every
answer comes from one model and its vectors; afterwards every item is there and found
first by its own text, and a word of the new text sits with the words it was used like;
a rollback works the same way; a SIGKILL mid-switch restarts on one model, whole, with
every collection bound to it on the same side."""

from __future__ import annotations

import json
import os
import signal
import time

import numpy as np
import pytest
import requests
from models_helpers import (
    AUTH,
    Readers,
    fixture_text,
    load_items,
    memory_items,
    own_text_found_first,
    wait_job,
)
from service_server import start_server, stop_server

from world2vec import cli
from world2vec.embeddings import load_model

N_ITEMS = 1500


@pytest.fixture(scope="module")
def items():
    return memory_items(N_ITEMS, seed=5)


@pytest.fixture(scope="module")
def srv(model_dir, items, tmp_path_factory):
    root = tmp_path_factory.mktemp("models-switch")
    server = start_server(model_dir, str(root / "data"), str(root / "log"))
    load_items(server.url, items, 32)
    r = requests.post(server.url + "/models/train", headers=AUTH, timeout=30,
                      json={"name": "fixture-blicket", "texts": fixture_text()})
    assert wait_job(server.url, r.json()["job"])["state"] == "done"
    yield server
    stop_server(server)


def _switch_under_readers(url: str, items: list[dict], name: str) -> tuple[dict, Readers]:
    with Readers(url, items) as readers:
        time.sleep(0.5)
        r = requests.post(f"{url}/models/{name}/activate", headers=AUTH, json={}, timeout=30)
        assert r.status_code == 202, r.text
        job = wait_job(url, r.json()["job"])
        time.sleep(0.5)
    return job, readers


def _neighbours(url: str, concept: str) -> list[str]:
    r = requests.get(url + "/similar", params={"concept": concept, "k": 10}, timeout=30)
    return [hit["id"] for hit in r.json()["results"]] if r.status_code == 200 else []


def test_activation_under_readers_then_rollback(srv, items):
    url = srv.url
    job, readers = _switch_under_readers(url, items, "fixture-blicket")
    assert job["state"] == "done" and job["result"]["switched"] is True, job
    assert readers.requests > 30 and readers.failures == [], readers.failures[:5]
    assert readers.models <= {"fixture-features", "fixture-blicket"}
    stats = job["result"]["stores"]["default"]
    assert stats["reencoded"] == N_ITEMS and stats["vector_only"] == 1
    health = requests.get(url + "/health", timeout=30).json()
    assert health["model"] == "fixture-blicket" and health["items"] == N_ITEMS + 1
    assert own_text_found_first(url, items) == []
    assert requests.get(url + "/memories/vector-only", timeout=30).status_code == 200
    assert {"cat", "kitten"} <= set(_neighbours(url, "blicket"))
    models = requests.get(url + "/models", timeout=30).json()
    assert models["active"] == "fixture-blicket"
    with open(os.path.join(srv.data, "active-model.json"), encoding="utf-8") as fh:
        pointer = json.load(fh)
    assert pointer["model"] == "fixture-blicket"
    assert os.listdir(os.path.join(srv.data, "stores")) == [os.path.basename(pointer["stores"]
                                                                             ["default"])]

    job, readers = _switch_under_readers(url, items, "fixture-features")     # the rollback
    assert job["state"] == "done" and job["result"]["previous"] == "fixture-blicket", job
    assert readers.failures == [], readers.failures[:5]
    health = requests.get(url + "/health", timeout=30).json()
    assert health["model"] == "fixture-features" and health["items"] == N_ITEMS + 1
    assert own_text_found_first(url, items) == []
    assert "blicket" not in _neighbours(url, "cat")


def test_writes_during_a_switch_are_all_kept(srv, items):
    url = srv.url
    r = requests.post(url + "/models/fixture-blicket/activate", headers=AUTH, json={}, timeout=30)
    extra = [{"id": f"during-{i}", "text": item["text"] + " and a song"}
             for i, item in enumerate(items[:60])]
    written = []
    for start in range(0, len(extra), 5):
        batch = extra[start:start + 5]
        assert requests.post(url + "/memories", json={"items": batch}, headers=AUTH,
                             timeout=60).status_code == 200
        written += batch
    deleted = requests.delete(url + "/memories/" + items[-1]["id"], headers=AUTH, timeout=30)
    assert deleted.status_code == 200
    job = wait_job(url, r.json()["job"])
    assert job["state"] == "done", job
    health = requests.get(url + "/health", timeout=30).json()
    assert health["model"] == "fixture-blicket" and health["items"] == N_ITEMS + 1 + len(written) - 1
    assert own_text_found_first(url, written, sample=20) == []
    assert requests.get(url + "/memories/" + items[-1]["id"], timeout=30).status_code == 404


def _stored_as(url: str, collection: str, items: list[dict], model) -> list[str]:
    """The ids (of ``items``) whose stored vector is not ``model``'s encoding of their text."""
    wrong = []
    for item in items:
        got = requests.get(f"{url}/collections/{collection}/memories/{item['id']}",
                           timeout=30).json()["vector"]
        if not np.allclose(got, model.encode_texts([item["text"]])[0], atol=1e-5):
            wrong.append(item["id"])
    return wrong


def test_a_sigkill_mid_switch_restarts_on_one_model_with_every_item(model_dir, tmp_path):
    items = memory_items(4000, seed=7)       # a switch of about a second: killed inside it
    notes = [dict(item, id="c" + item["id"]) for item in memory_items(300, seed=8)]
    data = str(tmp_path / "data")
    server = start_server(model_dir, data, str(tmp_path / "log1"))
    try:
        load_items(server.url, items, 32)
        requests.post(server.url + "/collections", json={"name": "notes"}, headers=AUTH,
                      timeout=30).raise_for_status()
        load_items(server.url + "/collections/notes", notes, 32)
        r = requests.post(server.url + "/models/train", headers=AUTH, timeout=30,
                          json={"name": "fixture-blicket", "texts": fixture_text()})
        assert wait_job(server.url, r.json()["job"])["state"] == "done"
        r = requests.post(server.url + "/models/fixture-blicket/activate", headers=AUTH,
                          json={}, timeout=30)
        assert r.status_code == 202
        time.sleep(0.3)
    finally:
        os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=30)
    server = start_server(model_dir, data, str(tmp_path / "log2"))
    try:
        health = requests.get(server.url + "/health", timeout=30).json()
        assert health["model"] in ("fixture-features", "fixture-blicket")
        assert health["items"] == len(items) + 1
        assert health["collections"] == {"default": len(items) + 1, "notes": len(notes) + 1}
        assert own_text_found_first(server.url, items, sample=60) == []
        assert own_text_found_first(server.url, notes, sample=30, collection="notes") == []
        served = requests.get(server.url + "/models", timeout=30).json()["active"]
        assert served == health["model"]
        model = load_model(model_dir if served == "fixture-features"      # one side, whole
                           else os.path.join(data, "models", served))
        assert _stored_as(server.url, "notes", notes[:20], model) == []
        assert _stored_as(server.url, "default", items[:20], model) == []
        stores = os.path.join(data, "stores")
        left = os.listdir(stores) if os.path.isdir(stores) else []
        assert len(left) == (2 if served == "fixture-blicket" else 0), left
        r = requests.post(server.url + "/models/fixture-blicket/activate", headers=AUTH,
                          json={}, timeout=30)
        assert wait_job(server.url, r.json()["job"])["state"] == "done"
    finally:
        stop_server(server)
    # `world2vec load` writes where the switched service reads: its memory, its model
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"id": "loaded-later", "text": "the blicket and the lion"}) + "\n")
    assert cli.main(["load", "--data", data, str(extra)]) == 0
    assert cli.main(["load", "--data", data, "--collection", "notes", str(extra)]) == 0
    server = start_server(model_dir, data, str(tmp_path / "log3"))
    try:
        health = requests.get(server.url + "/health", timeout=30).json()
        assert health["model"] == "fixture-blicket" and health["items"] == len(items) + 2
        assert health["collections"]["notes"] == len(notes) + 2
        for scope in ("", "/collections/notes"):
            hits = requests.post(server.url + scope + "/search", timeout=30,
                                 json={"text": "the blicket and the lion", "k": 1}
                                 ).json()["results"]
            assert hits[0]["id"] == "loaded-later" and hits[0]["score"] > 0.999
    finally:
        stop_server(server)
