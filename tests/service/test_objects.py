"""Objects over REST: /encode {"objects"}, /similar?object=, and items described by an object."""

from __future__ import annotations

import json

import numpy as np
import pytest
from service_backends import BACKENDS
from service_model_fixture import build_model
from service_server import API_KEY

from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig

AUTH = {"Authorization": f"Bearer {API_KEY}"}
TOM = {"id": "tom", "features": ["kitten", "small"], "relations": [["is_a", "cat"]]}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """Each test on the embedded store and on Milvus Lite (service_backends.py)."""
    return request.param


def problem(resp, status: int, slug: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["type"].endswith("/" + slug), body
    return body


def test_encode_turns_objects_into_unit_vectors_of_the_model_space(client):
    resp = client.post("/encode", json={"objects": [TOM, {"relations": [["is_a", "cat"]]}]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    vectors = np.asarray(body["vectors"])
    assert vectors.shape == (2, body["dim"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cat = np.asarray(client.post("/encode", json={"concepts": ["cat"]}).get_json()["vectors"][0])
    # An object that only is a cat is where cat is; tom (a small kitten that is a cat) is near.
    np.testing.assert_allclose(vectors[1], cat, atol=1e-5)
    assert vectors[0] @ cat > 0.8


@pytest.mark.parametrize("body,detail", [
    ({"objects": [TOM, {"features": "fur"}]}, "object 1: 'features' must be a list"),
    ({"objects": [{"feature": ["fur"]}]}, "object 0: unknown field(s) 'feature'"),
    ({"objects": [TOM, {"id": "rex", "relations": [["is_a"]]}]}, "object 1 ('rex'): 'relations'"),
    ({"objects": [TOM, "cat"]}, "object 1 must be a JSON object"),
])
def test_a_malformed_object_is_a_400_naming_it(client, body, detail):
    found = problem(client.post("/encode", json=body), 400, "invalid-object")
    assert found["param"] == "objects" and found["detail"].startswith(detail)
    assert found["position"] == (0 if "object 0" in detail else 1)


def test_the_objects_list_itself_is_checked(client):
    assert problem(client.post("/encode", json={"objects": {"features": ["cat"]}}), 400,
                   "bad-request")["param"] == "objects"
    assert problem(client.post("/encode", json={"objects": []}), 400, "bad-request")
    both = problem(client.post("/encode", json={"objects": [TOM], "concepts": ["cat"]}), 400,
                   "bad-request")
    assert "exactly one of 'concepts', 'texts' or 'objects'" in both["detail"]


def test_an_object_with_nothing_known_is_a_404_naming_it(client):
    found = problem(client.post("/encode", json={"objects": [TOM, {"id": "ghost",
                                                                   "features": ["???", "!"]}]}),
                    404, "unknown-object")
    assert (found["position"], found["id"], found["param"]) == (1, "ghost", "objects")
    assert "no feature or relation target the model knows" in found["detail"]


def test_similar_ranks_the_concepts_nearest_an_object(client):
    resp = client.get("/similar", query_string={"object": json.dumps(TOM), "k": 4})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["query"]["object"] == TOM
    top = [r["id"] for r in body["results"]]
    assert top[0] in ("cat", "kitten") and {"cat", "kitten"} <= set(top)


@pytest.mark.parametrize("value,slug", [
    ('{"features": ["cat"', "bad-request"),          # not JSON
    ('["cat"]', "bad-request"),                     # JSON, not an object
    ('{"features": ["cat"], "colour": 1}', "invalid-object"),
])
def test_similar_refuses_a_bad_object_naming_the_parameter(client, value, slug):
    assert problem(client.get("/similar", query_string={"object": value}), 400,
                   slug)["param"] == "object"


def test_similar_takes_one_query_only(client):
    body = problem(client.get("/similar", query_string={"object": json.dumps(TOM),
                                                        "concept": "cat"}), 400, "bad-request")
    assert "'object'" in body["detail"]


def test_an_item_described_by_an_object_is_encoded_stored_and_shown_back(client):
    item = {"id": "pet-tom", "object": TOM, "kind": "pet", "payload": {"owner": "ann"}}
    resp = client.post("/memories", json={"items": [item]}, headers=AUTH)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    stored = client.get("/memories/pet-tom").get_json()
    assert stored["object"] == TOM and stored["payload"] == {"owner": "ann"}
    assert stored["text"] is None
    encoded = client.post("/encode", json={"objects": [TOM]}).get_json()["vectors"][0]
    np.testing.assert_allclose(stored["vector"], encoded, atol=1e-5)
    hits = client.post("/search", json={"concept": "cat", "filter": {"kind": "pet"}}).get_json()
    assert hits["results"][0]["id"] == "pet-tom"
    assert hits["results"][0]["object"] == TOM and hits["results"][0]["payload"] == {"owner": "ann"}
    near = client.get("/similar", query_string={"object": json.dumps(TOM), "kind": "pet"})
    assert near.get_json()["results"][0]["id"] == "pet-tom"


def test_an_object_item_without_an_id_takes_its_objects(client):
    resp = client.post("/memories", json={"items": [{"object": {"id": "felix", "relations": [
        ["is_a", "cat"]]}}, {"object": {"relations": [["is_a", "dog"]]}}]}, headers=AUTH)
    ids = resp.get_json()["ids"]
    assert ids[0] == "felix" and len(ids[1]) == 32  # no id anywhere: a fresh one
    assert client.get("/memories/felix").get_json()["object"]["id"] == "felix"


def test_an_object_item_may_keep_a_text_beside_it(client):
    item = {"id": "pet-rex", "object": {"relations": [["is_a", "dog"]]}, "text": "rex the dog"}
    assert client.post("/memories", json={"items": [item]}, headers=AUTH).status_code == 200
    stored = client.get("/memories/pet-rex").get_json()
    assert stored["text"] == "rex the dog" and stored["object"] == item["object"]
    plain = {"id": "pet-max", "object": None, "text": "max the dog"}  # null: no object
    assert client.post("/memories", json={"items": [plain]}, headers=AUTH).status_code == 200
    assert "object" not in client.get("/memories/pet-max").get_json()


@pytest.mark.parametrize("item,slug,detail", [
    ({"id": "x", "object": TOM, "vector": [0.1] * 32}, "invalid-item", "not both"),
    ({"id": "x", "object": {"features": [1]}}, "invalid-object", "item 1: 'object': 'features'"),
    ({"id": "x", "object": {"features": ["?!"]}}, "unencodable-object",
     "item 1: cannot encode its object"),
    ({"id": "x", "text": "a cat", "payload": {"_object": {}}}, "invalid-item", "reserved"),
])
def test_a_bad_object_item_refuses_the_whole_batch_naming_it(client, item, slug, detail):
    good = {"id": "fine", "text": "a small cat"}
    body = problem(client.post("/memories", json={"items": [good, item]}, headers=AUTH), 400, slug)
    assert body["position"] == 1 and body["param"] == "items" and detail in body["detail"]
    assert client.get("/memories/fine").status_code == 404


def test_strict_model_without_subwords_cannot_build_unknown_targets(tmp_path):
    app = create_app(ServiceConfig(model=build_model(str(tmp_path / "model"), subwords=False),
                                   data=str(tmp_path / "data")))
    try:
        resp = app.test_client().post("/encode", json={"objects": [
            {"id": "q", "features": ["zzqx"], "relations": [["is_a", "qqxz"]]}]})
        assert problem(resp, 404, "unknown-object")["id"] == "q"
    finally:
        close_app(app)
