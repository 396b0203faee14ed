"""Relations over REST on the bundled model, as a user meets them: its own relations with their
accuracy, capitals of countries, a relation taught from thirteen countries naming the
languages of countries it never saw, kept across a restart, then forgotten."""

from __future__ import annotations

import os

import pytest
from service_server import API_KEY

from world2vec.embeddings import load_model
from world2vec.embeddings.model import DEFAULT_MODEL_DIR
from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig

AUTH = {"Authorization": f"Bearer {API_KEY}"}
CAPITALS = {"france": "paris", "germany": "berlin", "spain": "madrid", "russia": "moscow",
            "egypt": "cairo"}
# The pairs of tests/embeddings/test_relations.py: every word is in the bundled vocabulary.
COUNTRY_LANGUAGE = [["france", "french"], ["germany", "german"], ["spain", "spanish"],
                    ["italy", "italian"], ["russia", "russian"], ["china", "chinese"],
                    ["japan", "japanese"], ["greece", "greek"], ["portugal", "portuguese"],
                    ["poland", "polish"], ["sweden", "swedish"], ["denmark", "danish"],
                    ["norway", "norwegian"]]
HELD_OUT_LANGUAGE = {"finland": "finnish", "hungary": "hungarian", "turkey": "turkish",
                     "netherlands": "dutch", "england": "english"}


@pytest.fixture(scope="module")
def bundled():
    if not os.path.isfile(os.path.join(DEFAULT_MODEL_DIR, "manifest.json")):
        pytest.skip("the bundled default model is not built in this checkout yet")
    return load_model()


def open_app(model, data: str):
    return create_app(ServiceConfig(api_key=API_KEY, data=data), model=model)


@pytest.fixture(scope="module")
def client(bundled, tmp_path_factory):
    app = open_app(bundled, str(tmp_path_factory.mktemp("bundled-relations") / "data"))
    yield app.test_client()
    close_app(app)


def top(client, relation: str, concept: str, k: int) -> list[str]:
    resp = client.get("/transform", query_string={"relation": relation, "concept": concept,
                                                  "k": k})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [r["id"] for r in resp.get_json()["results"]]


def test_the_models_own_relations_are_listed_with_their_accuracy(client):
    listed = {r["name"]: r for r in client.get("/relations").get_json()["relations"]}
    assert {"capital", "antonym", "plural", "adverb"} <= set(listed)
    for name in ("capital", "antonym", "plural", "adverb"):
        row = listed[name]
        assert row["source"] == "model" and 0 < row["accuracy"] <= 1 and row["pairs"] > 10
        assert row["method"] in ("offset", "procrustes", "linear")


def test_capital_puts_the_capital_in_the_top_three(client):
    found = [country for country, city in CAPITALS.items()
             if city in top(client, "capital", country, 3)]
    assert len(found) >= 4, found
    assert all(country not in top(client, "capital", country, 10) for country in CAPITALS)


def test_capital_of_egypt_in_an_expression_is_cairo(client):
    resp = client.get("/compose", query_string={"expr": "capital(egypt)", "k": 3})
    found = [r["id"] for r in resp.get_json()["results"]]
    assert "cairo" in found and "egypt" not in found


def test_the_models_own_relations_cannot_be_taught_over_or_forgotten(client):
    resp = client.post("/relations", json={"name": "capital", "pairs": COUNTRY_LANGUAGE},
                       headers=AUTH)
    assert resp.status_code == 409 and resp.get_json()["type"].endswith("/model-relation")
    resp = client.delete("/relations/capital", headers=AUTH)
    assert resp.status_code == 409 and resp.get_json()["type"].endswith("/model-relation")
    assert top(client, "capital", "france", 1) == ["paris"]


def test_teaching_needs_the_key_and_names_what_is_wrong(client):
    body = {"name": "language_of", "pairs": COUNTRY_LANGUAGE}
    assert client.post("/relations", json=body).status_code == 401
    resp = client.post("/relations", headers=AUTH, json={
        "name": "language_of", "pairs": [*COUNTRY_LANGUAGE, ["atlantis", "atlantean"]]})
    assert resp.status_code == 400 and "atlantis" in resp.get_json()["detail"]
    resp = client.post("/relations", headers=AUTH, json={"name": "language_of",
                                                         "pairs": COUNTRY_LANGUAGE[:2]})
    assert resp.status_code == 400 and resp.get_json()["type"].endswith("/too-few-pairs")
    assert "3" in resp.get_json()["detail"]
    assert "language_of" not in [r["name"] for r in client.get("/relations").get_json()["relations"]]


def test_a_taught_relation_names_languages_of_unseen_countries_survives_a_restart_and_goes(
        bundled, tmp_path):
    data = str(tmp_path / "data")
    app = open_app(bundled, data)
    try:
        client = app.test_client()
        resp = client.post("/relations", json={"name": "language_of", "pairs": COUNTRY_LANGUAGE},
                           headers=AUTH)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        taught = resp.get_json()
        assert taught["pairs"] == 13 and 0.5 <= taught["accuracy"] <= 1
        hits = [country for country, language in HELD_OUT_LANGUAGE.items()
                if language in top(client, "language_of", country, 5)]
        assert len(hits) >= 3, hits
    finally:
        close_app(app)  # releases the data directory, as a stopped server does

    restarted = open_app(load_model(), data)
    try:
        again = restarted.test_client()
        listed = {r["name"]: r for r in again.get("/relations").get_json()["relations"]}
        assert listed["language_of"]["source"] == "user"
        assert listed["language_of"]["accuracy"] == taught["accuracy"]
        assert [country for country, language in HELD_OUT_LANGUAGE.items()
                if language in top(again, "language_of", country, 5)] == hits
        assert again.delete("/relations/language_of", headers=AUTH).status_code == 200
        resp = again.get("/transform", query_string={"relation": "language_of",
                                                     "concept": "finland"})
        assert resp.status_code == 404 and resp.get_json()["relation"] == "language_of"
    finally:
        close_app(restarted)
