"""Models over REST against a real server: training jobs (key, gate, errors), the registry,
jobs refused while one runs, and the gate's 409 unless forced."""

from __future__ import annotations

import json
import os

import pytest
import requests
from models_helpers import AUTH, fixture_text, load_items, memory_items, wait_job
from service_server import start_server, stop_server

N_ITEMS = 300


@pytest.fixture(scope="module")
def srv(model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("models-api")
    server = start_server(model_dir, str(root / "data"), str(root / "log"))
    load_items(server.url, memory_items(N_ITEMS), 32)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def trained(srv):
    """The fixture model trained further on a text where 'blicket' is used like cat."""
    url = srv.url
    body = {"name": "fixture-blicket", "texts": fixture_text()}
    assert requests.post(url + "/models/train", json=body, timeout=30).status_code == 401
    r = requests.post(url + "/models/train", json=body, headers=AUTH, timeout=30)
    assert r.status_code == 202, r.text
    job = wait_job(url, r.json()["job"])
    assert job["state"] == "done", job
    return job


def test_a_training_job_ends_done_with_its_gate(srv, trained):
    assert trained["kind"] == "train" and trained["progress"] == 1.0
    result = trained["result"]
    assert result["model"] == "fixture-blicket" and result["from"] == "fixture-features"
    gate = result["gate"]
    assert isinstance(gate["passed"], bool) and gate["against"] == "fixture-features"
    assert {f["set"] for f in gate["figures"]} >= {"questions-words-sample.txt", "wordsim353.tsv"}
    assert result["new_words"] >= 1 and 0 <= result["neighbour_overlap"]["mean"] <= 1
    listed = requests.get(srv.url + "/models", timeout=30).json()
    assert listed["active"] == "fixture-features"
    models = {m["name"]: m for m in listed["models"]}
    assert models["fixture-blicket"]["active"] is False and models["fixture-blicket"]["dim"] == 32
    assert models["fixture-blicket"]["words"] > models["fixture-features"]["words"]
    assert models["fixture-features"]["active"] is True
    assert os.path.isfile(os.path.join(srv.data, "models", "fixture-blicket", "gate.json"))
    # training never changes the served model
    assert requests.get(srv.url + "/health", timeout=30).json()["model"] == "fixture-features"


def test_the_new_models_training_record_and_encoder_graph(srv, trained):
    events = requests.get(srv.url + "/models/fixture-blicket/events", timeout=30).json()
    assert {"loss", "lr", "throughput"} <= set(events["scalars"])
    assert {"weights/syn0", "gradients/syn0"} <= set(events["histograms"])
    first = events["histograms"]["weights/syn0"][0]
    assert len(first["edges"]) == len(first["counts"]) + 1 and first["step"] >= 1
    graph = requests.get(srv.url + "/models/fixture-blicket/graph", timeout=30).json()["graph"]
    kinds = {n["kind"] for n in graph["nodes"]}
    assert {"parameter", "op"} <= kinds and graph["edges"] and graph["tokens"]
    assert requests.get(srv.url + "/models/nope/events", timeout=30).status_code == 404


@pytest.mark.parametrize("body,status,param", [
    ({"texts": ["a cat"]}, 400, "name"),
    ({"name": "x y", "texts": ["a cat"]}, 400, "name"),
    ({"name": "fixture-features", "texts": ["a cat"]}, 409, "name"),
    ({"name": "ok1"}, 400, "texts"),
    ({"name": "ok1", "texts": "a cat"}, 400, "texts"),
    ({"name": "ok1", "texts": ["a cat"], "epochs": 0}, 400, "epochs"),
    ({"name": "ok1", "texts": ["a cat"], "from": "nope"}, 404, "from"),
    ({"name": "ok1", "corpus": "../../etc/passwd"}, 400, "corpus"),
    ({"name": "ok1", "corpus": "/etc/passwd"}, 400, "corpus"),
    ({"name": "ok1", "corpus": "no-such-file.txt"}, 400, "corpus"),
    ({"name": "ok1", "texts": ["a cat"], "colour": "red"}, 400, "colour"),
])
def test_bad_training_requests_are_refused_naming_the_field(srv, trained, body, status, param):
    r = requests.post(srv.url + "/models/train", json=body, headers=AUTH, timeout=30)
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["param"] == param


def test_one_job_at_a_time_and_a_corpus_under_the_data_directory(srv, trained):
    with open(os.path.join(srv.data, "corpus.txt"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(fixture_text("florp", n=200, seed=8)) + "\n")
    first = requests.post(srv.url + "/models/train", headers=AUTH, timeout=30,
                          json={"name": "from-corpus", "corpus": "corpus.txt",
                                "include_memories": True, "epochs": 2})
    assert first.status_code == 202, first.text
    second = requests.post(srv.url + "/models/train", headers=AUTH, timeout=30,
                           json={"name": "second", "texts": ["a cat"]})
    assert second.status_code == 409 and second.json()["job"] == first.json()["job"]
    busy = requests.post(srv.url + "/models/fixture-blicket/activate", headers=AUTH, json={},
                         timeout=30)
    assert busy.status_code == 409
    job = wait_job(srv.url, first.json()["job"])
    assert job["state"] == "done", job
    assert job["result"]["corpus_tokens"] > 1000         # the corpus and the memories' texts
    again = requests.post(srv.url + "/models/train", headers=AUTH, timeout=30,
                          json={"name": "from-corpus", "texts": ["a cat"]})
    assert again.status_code == 409 and again.json()["param"] == "name"   # immutable
    assert requests.get(srv.url + "/jobs/no-such-job", timeout=30).status_code == 404
    assert first.json()["job"] in [j["id"] for j in requests.get(srv.url + "/jobs").json()["jobs"]]


def test_a_model_below_the_active_one_is_kept_and_refused_unless_forced(srv, trained):
    strict = os.path.join(srv.data, "eval", "gate.json")
    os.makedirs(os.path.dirname(strict), exist_ok=True)
    with open(strict, "w", encoding="utf-8") as fh:     # must gain a whole point: cannot pass
        json.dump({"tolerance": -1.0, "min_answered": 1}, fh)
    try:
        r = requests.post(srv.url + "/models/train", headers=AUTH, timeout=30,
                          json={"name": "strict", "texts": fixture_text(n=100)})
        job = wait_job(srv.url, r.json()["job"])
    finally:
        os.remove(strict)
    assert job["state"] == "done" and job["result"]["gate"]["passed"] is False
    models = {m["name"]: m for m in requests.get(srv.url + "/models", timeout=30).json()["models"]}
    assert models["strict"]["gate"] == {"passed": False}            # kept
    refused = requests.post(srv.url + "/models/strict/activate", headers=AUTH, json={}, timeout=30)
    assert refused.status_code == 409 and "gate" in refused.json()["detail"]
    assert requests.post(srv.url + "/models/strict/activate", json={"force": True},
                         timeout=30).status_code == 401
    forced = requests.post(srv.url + "/models/strict/activate", headers=AUTH,
                           json={"force": True}, timeout=30)
    assert forced.status_code == 202
    assert wait_job(srv.url, forced.json()["job"])["state"] == "done"
    assert requests.get(srv.url + "/health", timeout=30).json()["model"] == "strict"
    back = requests.post(srv.url + "/models/fixture-features/activate", headers=AUTH, json={},
                         timeout=30)
    assert wait_job(srv.url, back.json()["job"])["state"] == "done"
    health = requests.get(srv.url + "/health", timeout=30).json()
    assert health["model"] == "fixture-features" and health["items"] == N_ITEMS + 1


def test_activating_the_served_model_is_a_job_that_does_nothing(srv):
    r = requests.post(srv.url + "/models/fixture-features/activate", headers=AUTH, timeout=30)
    job = wait_job(srv.url, r.json()["job"])
    assert job["state"] == "done" and job["result"]["switched"] is False
    assert requests.post(srv.url + "/models/nope/activate", headers=AUTH, json={},
                         timeout=30).status_code == 404
