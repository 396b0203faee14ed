"""Every endpoint of DESIGN.md against the real server, in JSON and in msgpack."""

from __future__ import annotations

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families
from service_wire import as_vectors, call

FORMATS = ["json", "msgpack"]


def ids(results):
    return [r["id"] for r in results]


@pytest.mark.parametrize("fmt", FORMATS)
def test_health(url, fmt):
    resp, body = call(url, "GET", "/health", fmt)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/msgpack" if fmt == "msgpack"
                                                   else "application/json")
    assert body["status"] == "ok"
    assert body["model"] == "fixture-features"
    assert body["dim"] == 32
    assert isinstance(body["items"], int)


@pytest.mark.parametrize("fmt", FORMATS)
def test_similar_concept_ranks_related_concepts_and_excludes_the_query(url, fmt):
    resp, body = call(url, "GET", "/similar", fmt, params={"concept": "cat", "k": 3})
    assert resp.status_code == 200
    found = ids(body["results"])
    assert len(found) == 3 and "cat" not in found
    assert set(found) <= {"tiger", "kitten", "lion"}
    assert body["synthesized"] is False
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert all(r["kind"] == "concept" for r in body["results"])


def test_similar_unseen_word_is_synthesized_and_flagged(url):
    resp, body = call(url, "GET", "/similar", params={"concept": "kittycat", "k": 5})
    assert resp.status_code == 200
    assert body["synthesized"] is True and len(body["results"]) == 5


def test_similar_text_and_projection(url):
    resp, body = call(url, "GET", "/similar", params={"text": "a big dog", "k": 4,
                                                     "project": "true"})
    assert resp.status_code == 200
    assert ids(body["results"])[0] == "dog"
    proj = body["projection"]
    assert len(proj["points"]) == 4 and len(proj["query"]) == 2
    assert all(-1.0001 <= c <= 1.0001 for p in proj["points"] + [proj["query"]] for c in p)


@pytest.mark.parametrize("fmt", FORMATS)
def test_compose_with_weights_and_parentheses(url, fmt):
    resp, body = call(url, "GET", "/compose", fmt, params={"expr": "king - man + woman", "k": 3})
    assert resp.status_code == 200
    assert body["results"][0]["id"] == "queen"
    assert not {"king", "man", "woman"} & set(ids(body["results"]))
    resp, body = call(url, "GET", "/compose", fmt,
                      params={"expr": "0.5*paris - (france - italy)", "k": 2})
    assert resp.status_code == 200
    assert body["results"][0]["id"] == "rome"
    assert body["query"]["terms"] == {"paris": 0.5, "france": -1.0, "italy": 1.0}


@pytest.mark.parametrize("method", ["add", "mul"])
def test_analogy(url, method):
    resp, body = call(url, "GET", "/analogy", params={"a": "man", "b": "king", "c": "woman",
                                                     "method": method, "k": 3})
    assert resp.status_code == 200
    assert body["results"][0]["id"] == "queen"
    assert not {"king", "man", "woman"} & set(ids(body["results"]))


@pytest.mark.parametrize("fmt", FORMATS)
def test_encode_concepts_and_texts(url, fmt):
    resp, body = call(url, "POST", "/encode", fmt, body={"concepts": ["cat", "kittycat"]})
    assert resp.status_code == 200
    vecs = as_vectors(body["vectors"])
    assert vecs.shape == (2, 32) and body["dim"] == 32
    if fmt == "msgpack":
        assert all(isinstance(v, bytes) and len(v) == 32 * 4 for v in body["vectors"])
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert body["synthesized"] == [False, True]
    resp, body = call(url, "POST", "/encode", fmt, body={"texts": ["a small cat", "war"]})
    assert resp.status_code == 200
    vecs = as_vectors(body["vectors"])
    assert vecs.shape == (2, 32)
    _, cat = call(url, "POST", "/encode", body={"concepts": ["cat"]})
    assert float(vecs[0] @ np.asarray(cat["vectors"][0])) > 0.9


@pytest.mark.parametrize("fmt", FORMATS)
def test_memories_add_get_search_similar_delete(url, auth, fmt):
    prefix = f"{fmt}-"
    vec = np.zeros(32, dtype=np.float32)
    vec[3] = 1.0
    items = [
        {"id": prefix + "pets", "text": "a cat and a kitten", "kind": "fact", "tags": ["pets"],
         "payload": {"year": 2020}, "answer": "felines"},
        {"id": prefix + "dogs", "text": "a dog and a puppy", "kind": "fact", "tags": ["pets"],
         "payload": {"year": 2010}},
        {"id": prefix + "war", "text": "war and attack", "kind": "news", "tags": ["world"]},
        {"id": prefix + "raw", "vector": vec, "kind": "note", "text": "a raw vector"},
    ]
    resp, body = call(url, "POST", "/memories", fmt, body={"items": items}, headers=auth)
    assert resp.status_code == 200, body
    assert body["ids"] == [i["id"] for i in items] and body["count"] == 4

    resp, body = call(url, "GET", f"/memories/{prefix}raw", fmt)
    assert resp.status_code == 200
    assert body["text"] == "a raw vector" and body["kind"] == "note"
    stored = as_vectors(body["vector"])
    assert stored.shape == (32,) and np.allclose(stored, vec)

    resp, body = call(url, "POST", "/search", fmt,
                      body={"text": "a small kitten", "k": 2,
                            "filter": {"tags": {"all": ["pets"]}}})
    assert resp.status_code == 200
    assert body["results"][0]["id"] in (prefix + "pets", "json-pets", "msgpack-pets")
    assert all("pets" in r["tags"] for r in body["results"])

    resp, body = call(url, "POST", "/search", fmt,
                      body={"concept": "dog", "k": 5,
                            "filter": {"payload": {"year": {"gte": 2015}}, "kind": "fact"}})
    assert resp.status_code == 200
    assert body["results"] and all(r["payload"]["year"] >= 2015 for r in body["results"])

    resp, body = call(url, "POST", "/search", fmt, body={"vector": vec, "k": 1})
    assert resp.status_code == 200 and body["results"][0]["id"].endswith("raw")

    resp, body = call(url, "GET", "/similar", fmt, params={"id": prefix + "pets", "k": 3,
                                                          "kind": "fact", "project": "1"})
    assert resp.status_code == 200
    assert prefix + "pets" not in ids(body["results"])
    assert all(r["kind"] == "fact" for r in body["results"])
    assert len(body["projection"]["points"]) == len(body["results"])

    # a concept query with a kind searches the memory instead of the vocabulary
    resp, body = call(url, "GET", "/similar", fmt, params={"concept": "puppy", "k": 1,
                                                          "kind": "fact"})
    assert resp.status_code == 200
    assert body["results"][0]["text"] == "a dog and a puppy"

    resp, body = call(url, "DELETE", f"/memories/{prefix}war", fmt, headers=auth)
    assert resp.status_code == 200 and body["deleted"] is True
    resp, body = call(url, "GET", f"/memories/{prefix}war", fmt)
    assert resp.status_code == 404
    assert resp.headers["Content-Type"].startswith("application/problem+json")


def test_add_without_upsert_refuses_an_existing_id(url, auth):
    item = {"id": "dup", "text": "a song on the piano"}
    resp, _ = call(url, "POST", "/memories", body={"items": [item]}, headers=auth)
    assert resp.status_code == 200
    resp, body = call(url, "POST", "/memories", body={"items": [item], "upsert": False},
                      headers=auth)
    assert resp.status_code == 409 and body["id"] == "dup"
    resp, _ = call(url, "POST", "/memories", body={"items": [{**item, "text": "a guitar"}]},
                   headers=auth)
    assert resp.status_code == 200
    assert call(url, "GET", "/memories/dup")[1]["text"] == "a guitar"


@pytest.mark.parametrize("fmt", FORMATS)
def test_filter_decides_per_item_with_the_deciding_concept(url, fmt):
    resp, body = call(url, "POST", "/filter", fmt, body={
        "items": ["a football match", "war and attack", "fresh bread"],
        "allow": ["football", "tennis"], "block": ["war", "weapon"], "threshold": 0.5})
    assert resp.status_code == 200
    decisions = [(r["decision"], r["concept"]) for r in body["results"]]
    assert decisions[0][0] == "allow" and decisions[0][1] in ("football", "tennis")
    assert decisions[1] == ("block", "war")
    assert decisions[2] == ("neutral", None)
    for r in body["results"]:
        assert set(r["scores"]) == {"allow", "block"}
        assert isinstance(r["score"], float)


def test_qa_answers_from_memory(url, auth):
    items = [{"id": "qa-cat", "text": "the cat is a small feline animal",
              "kind": "qa", "answer": "a feline"},
             {"id": "qa-car", "text": "a car is a vehicle like a truck",
              "kind": "qa", "answer": "a vehicle"}]
    resp, _ = call(url, "POST", "/memories", body={"items": items}, headers=auth)
    assert resp.status_code == 200
    resp, body = call(url, "POST", "/qa", body={"question": "what is a kitten or a cat?",
                                                "k": 2, "hops": 2, "filter": {"kind": "qa"}})
    assert resp.status_code == 200, body
    top = body["answers"][0]
    assert top["id"] == "qa-cat" and top["answer"] == "a feline"
    assert isinstance(top["score"], float) and top["support"][0] == "qa-cat"
    assert [a["id"] for a in body["answers"]] == ["qa-cat", "qa-car"]


def test_metrics_counts_requests_per_route_and_reports_the_model(url):
    call(url, "GET", "/similar", params={"concept": "dog"})
    resp, text = call(url, "GET", "/metrics")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/plain")
    got = {(s.name, tuple(sorted(s.labels.items()))): s.value
           for family in text_string_to_metric_families(text) for s in family.samples}
    route = (("method", "GET"), ("route", "/similar"))
    assert got[("world2vec_requests_total", (*route, ("status", "200")))] >= 1
    assert got[("world2vec_request_duration_seconds_bucket", (("le", "+Inf"), *route))] >= 1
    assert got[("world2vec_model_info", (("dim", "32"), ("model", "fixture-features")))] == 1
    assert got[("world2vec_model_dim", ())] == 32
    assert got[("world2vec_items", ())] == got[("world2vec_collection_items",
                                                (("collection", "default"),))]


def test_model_events_give_the_training_curves(url):
    resp, body = call(url, "GET", "/model/events")
    assert resp.status_code == 200
    loss = body["scalars"]["loss"]
    assert len(loss) == 100 and loss[0][0] == 0 and loss[-1][1] < loss[0][1]
    assert "lr" in body["scalars"]


def test_openapi_document_is_served(url):
    resp, doc = call(url, "GET", "/openapi.json")
    assert resp.status_code == 200
    assert doc["openapi"].startswith("3.")
    assert "/similar" in doc["paths"] and "/model/events" in doc["paths"]


def test_web_page_and_its_assets_are_served(url):
    resp, html = call(url, "GET", "/")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    assert 'id="query"' in html and "/static/app.js" in html
    resp, js = call(url, "GET", "/static/app.js")
    assert resp.status_code == 200 and "drawProjection" in js
