"""Routes through the Flask test client: how each lower-layer error reads on the wire.

The embeddings and the memory raise typed errors (an unknown concept, a malformed
expression, an invalid item or filter); errors.py answers each of them the same way
on every route, naming the request parameter the route says it came from.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from service_backends import BACKENDS
from service_model_fixture import build_model
from service_server import API_KEY

from world2vec.embeddings.arithmetic import DEFAULT_THRESHOLD
from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """Each test on the embedded store and on Milvus Lite (service_backends.py)."""
    return request.param


def problem(resp, status: int, slug: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and body["type"].endswith("/" + slug), body
    return body


@pytest.fixture(scope="module")
def strict_client(tmp_path_factory):
    """A model without subword rows: every unseen word is an unknown concept."""
    root = tmp_path_factory.mktemp("strict")
    app = create_app(ServiceConfig(model=build_model(str(root / "model"), subwords=False),
                                   data=str(root / "data")))
    yield app.test_client()
    close_app(app)


@pytest.mark.parametrize("method,path,kwargs,param", [
    ("GET", "/similar", {"query_string": {"concept": "caat"}}, "concept"),
    ("POST", "/search", {"json": {"concept": "caat"}}, "concept"),
    ("POST", "/encode", {"json": {"concepts": ["cat", "caat"]}}, "concepts"),
    ("POST", "/filter", {"json": {"items": ["a cat"], "allow": ["dog", "caat"],
                                  "block": ["war"]}}, "allow"),
    ("POST", "/filter", {"json": {"items": ["a cat"], "allow": ["dog"],
                                  "block": ["war", "caat"]}}, "block"),
    ("GET", "/compose", {"query_string": {"expr": "king - caat"}}, "expr"),
    ("GET", "/analogy", {"query_string": {"a": "man", "b": "caat", "c": "woman"}}, "b"),
    ("GET", "/analogy", {"query_string": {"a": "man", "b": "king", "c": "caat"}}, "c"),
])
def test_an_unknown_concept_is_a_404_naming_it_and_the_parameter(strict_client, method, path,
                                                                  kwargs, param):
    body = problem(strict_client.open(path, method=method, **kwargs), 404, "unknown-concept")
    assert body["concept"] == "caat" and body["param"] == param
    assert body["suggestions"][0] == "cat"
    assert body["detail"] == f"unknown concept 'caat'; did you mean {', '.join(body['suggestions'])}?"


def test_an_unseen_word_is_synthesized_where_the_model_can_build_it(client):
    resp = client.post("/encode", json={"concepts": ["cat", "caat"]})
    assert resp.status_code == 200 and resp.get_json()["synthesized"] == [False, True]
    body = problem(client.get("/compose", query_string={"expr": "king - caat"}), 404,
                   "unknown-concept")  # arithmetic takes learned words only
    assert body["param"] == "expr"


def test_expression_mistakes_are_400s_with_their_position(client):
    body = problem(client.get("/compose", query_string={"expr": "king * queen"}), 400,
                   "bad-expression")
    assert body["param"] == "expr" and body["position"] == 5
    assert body["detail"].startswith("cannot parse the expression: two concepts")
    body = problem(client.get("/compose", query_string={"expr": "1e39*king"}), 400,
                   "bad-request")
    assert body["param"] == "expr" and "cancel out" in body["detail"]


@pytest.mark.parametrize("method,path,kwargs", [
    ("POST", "/search", {"json": {"text": "a cat", "filter": {"tags": {"all": "pets"}}}}),
    ("GET", "/similar", {"query_string": {"text": "a cat", "filter": '{"kind": 5}'}}),
    ("GET", "/similar", {"query_string": {"id": "any", "filter": '{"colour": 1}'}}),
])
def test_a_bad_filter_is_a_400_naming_the_filter(client, method, path, kwargs):
    body = problem(client.open(path, method=method, **kwargs), 400, "bad-filter")
    assert body["param"] == "filter" and body["detail"].startswith("filter")


def test_qa_names_a_bad_filter_as_a_plain_bad_request(client):
    body = problem(client.post("/qa", json={"question": "a cat?", "filter": {"kind": 5}}), 400,
                   "bad-request")
    assert body["param"] == "filter" and body["detail"].startswith("filter")


def test_qa_names_the_question_when_the_reader_refuses_more_hops_than_it_has(model_dir, tmp_path):
    app = create_app(ServiceConfig(model=model_dir, data=str(tmp_path / "data"), max_hops=20))
    try:
        resp = app.test_client().post("/qa", json={"question": "a cat?", "hops": 15})
    finally:
        close_app(app)
    body = problem(resp, 400, "bad-request")
    assert body["param"] == "question" and "hops" in body["detail"]


def test_an_invalid_item_names_its_position_and_id_and_nothing_is_written(client):
    items = [{"id": "fine", "text": "a cat"}, {"id": "bad", "text": "a dog", "tags": "pets"}]
    body = problem(client.post("/memories", json={"items": items}, headers=AUTH), 400,
                   "invalid-item")
    assert (body["param"], body["position"], body["id"]) == ("items", 1, "bad")
    assert client.get("/memories/fine").status_code == 404


def test_adding_an_existing_id_without_upsert_is_a_409_naming_it(client):
    items = [{"id": "twice", "text": "a cat"}]
    assert client.post("/memories", json={"items": items}, headers=AUTH).status_code == 200
    body = problem(client.post("/memories", json={"items": items, "upsert": False},
                               headers=AUTH), 409, "item-exists")
    assert body["id"] == "twice" and body["position"] == 0


def test_filter_decides_by_the_classifier_rule(client):
    resp = client.post("/filter", json={"items": ["a football match", "war and attack", "rain"],
                                        "allow": ["football"], "block": ["war"]})
    results = resp.get_json()["results"]
    assert [r["decision"] for r in results] == ["allow", "block", "neutral"]
    assert [r["concept"] for r in results] == ["football", "war", None]
    assert results[0]["score"] == results[0]["scores"]["allow"]["football"]
    assert resp.get_json()["threshold"] == DEFAULT_THRESHOLD == 0.35


def test_model_events_give_the_training_curves(client):
    scalars = client.get("/model/events").get_json()["scalars"]
    assert set(scalars) == {"loss", "lr"} and len(scalars["loss"]) == 100
    assert scalars["loss"][0] == [0, 3.5]


def test_model_events_survive_a_damaged_log_and_thin_long_curves(model_dir, tmp_path):
    model = str(tmp_path / "model")
    shutil.copytree(model_dir, model)
    with open(os.path.join(model, "events.jsonl"), "a", encoding="utf-8") as fh:
        fh.write("{torn line\n")
        for step in range(1000, 6000):
            fh.write(json.dumps({"type": "scalar", "tag": "loss", "step": step,
                                 "value": 0.5}) + "\n")
        fh.write('{"type": "scalar", "tag": "loss", "step": 6000, "value": "nan"}\n')
    app = create_app(ServiceConfig(model=model, data=str(tmp_path / "data")))
    try:
        resp = app.test_client().get("/model/events")
    finally:
        close_app(app)
    scalars = resp.get_json()["scalars"]
    assert resp.status_code == 200 and len(scalars["loss"]) == 2000
    assert scalars["loss"][0] == [0, 3.5] and scalars["loss"][-1] == [5999, 0.5]
    assert len(scalars["lr"]) == 100
