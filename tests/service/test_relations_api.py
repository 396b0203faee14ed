"""Relations over REST on the small fixture model: teach, list, transform, compose with a call,
forget; the write key, strict bodies, the errors naming what is wrong; kept across restarts
and carried to a newly served model (``ServiceState.refit_relations``).

The fixture model has no relations of its own, so the tests teach them from its
vocabulary, whose geometry is by construction (king - man = queen - woman).
"""

from __future__ import annotations

import os

import pytest
from service_backends import BACKENDS
from service_model_fixture import build_model
from service_server import API_KEY

from world2vec.embeddings import load_model
from world2vec.embeddings.model import Model
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig

AUTH = {"Authorization": f"Bearer {API_KEY}"}
FEMININE = [["king", "queen"], ["man", "woman"], ["prince", "princess"]]


@pytest.fixture(scope="module")
def fixture_model(model_dir):
    return load_model(model_dir)


@pytest.fixture
def data(tmp_path):
    return str(tmp_path / "data")


def open_app(model_dir: str, data: str, model=None):
    return create_app(ServiceConfig(model=model_dir, api_key=API_KEY, data=data), model=model)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    """The route tests on both backends (with Milvus the relations are kept there)."""
    return request.param


@pytest.fixture(scope="module")
def milvus_app(model_dir, fixture_model, tmp_path_factory, backends, backend):
    """With Milvus, one app for the module (making one costs seconds), its relations
    forgotten before each test; on the embedded store, None."""
    if backend != "milvus":
        yield None
        return
    flask_app = backends.app(backend, model_dir, str(tmp_path_factory.mktemp("rel-data")),
                             model=fixture_model, api_key=API_KEY)
    yield flask_app
    close_app(flask_app)


@pytest.fixture
def app(model_dir, fixture_model, data, milvus_app, backends):
    if milvus_app is not None:
        state = milvus_app.extensions["world2vec"]
        if state.model is not fixture_model:      # a test served another model
            state.refit_relations(fixture_model)
        backends.reset(milvus_app)
        yield milvus_app
        return
    flask_app = open_app(model_dir, data, fixture_model)
    yield flask_app
    close_app(flask_app)


@pytest.fixture
def client(app):
    return app.test_client()


def problem(resp, status: int, slug: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and body["type"].endswith("/" + slug), body
    return body


def teach(client, name="feminine", pairs=FEMININE, **extra):
    return client.post("/relations", json={"name": name, "pairs": pairs, **extra}, headers=AUTH)


def ids(resp) -> list[str]:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [r["id"] for r in resp.get_json()["results"]]


def test_a_taught_relation_is_listed_and_transforms_an_unseen_example(client):
    assert client.get("/relations").get_json() == {"relations": [], "unavailable": []}
    resp = teach(client)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    taught = resp.get_json()
    assert taught["name"] == "feminine" and taught["pairs"] == 3 and taught["source"] == "user"
    assert taught["method"] in ("offset", "procrustes", "linear") and 0 <= taught["accuracy"] <= 1
    assert client.get("/relations").get_json()["relations"] == [taught]
    resp = client.get("/transform", query_string={"relation": "feminine", "concept": "boy",
                                                  "k": 3})
    found = ids(resp)
    assert found[0] == "girl" and "boy" not in found and len(found) == 3
    assert resp.get_json()["query"] == {"relation": "feminine", "concept": "boy"}
    similar = client.get("/similar", query_string={"concept": "boy", "k": 1}).get_json()
    assert set(resp.get_json()["results"][0]) == set(similar["results"][0])  # the same row shape
    scores = [r["score"] for r in resp.get_json()["results"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("expr,first,inputs", [
    ("feminine(boy)", "girl", {"boy"}),
    ("0.5*feminine(boy)", "girl", {"boy"}),
    ("feminine(king) - king + prince", "princess", {"king", "prince"}),
    ("(feminine(boy))", "girl", {"boy"}),
])
def test_compose_applies_relation_calls_and_excludes_their_concepts(client, expr, first, inputs):
    assert teach(client).status_code == 201
    resp = client.get("/compose", query_string={"expr": expr, "k": 5})
    found = ids(resp)
    assert found[0] == first
    assert not inputs & set(found)  # inputs, the concepts inside calls too
    assert any("(" in term for term in resp.get_json()["query"]["terms"])


def test_unknown_relations_and_concepts_are_404s_naming_them(client):
    assert teach(client).status_code == 201
    body = problem(client.get("/transform", query_string={"relation": "masculine",
                                                          "concept": "girl"}),
                   404, "unknown-relation")
    assert body["relation"] == "masculine" and body["param"] == "relation"
    assert "masculine" in body["detail"]
    body = problem(client.get("/transform", query_string={"relation": "feminine",
                                                          "concept": "boyy"}),
                   404, "unknown-concept")
    assert body["concept"] == "boyy" and body["param"] == "concept" and "boy" in body["suggestions"]
    body = problem(client.get("/compose", query_string={"expr": "masculine(girl) + king"}),
                   404, "unknown-relation")
    assert body["relation"] == "masculine" and body["param"] == "expr"
    body = problem(client.get("/compose", query_string={"expr": "feminine(boyy)"}),
                   404, "unknown-concept")
    assert body["concept"] == "boyy"
    body = problem(client.get("/compose", query_string={"expr": "feminine(2*boy)"}),
                   400, "bad-expression")
    assert body["position"] == 9


@pytest.mark.parametrize("query,param", [
    ({"concept": "boy"}, "relation"), ({"relation": "feminine"}, "concept"),
    ({"relation": "feminine", "concept": "boy", "k": "0"}, "k"),
    ({"relation": "feminine", "concept": "boy", "k": "ten"}, "k"),
])
def test_transform_parameters_are_checked(client, query, param):
    resp = client.get("/transform", query_string=query)
    assert resp.status_code == 400 and resp.get_json()["param"] == param


def test_writes_need_the_key(client):
    body = {"name": "feminine", "pairs": FEMININE}
    problem(client.post("/relations", json=body), 401, "unauthorized")
    problem(client.post("/relations", json=body, headers={"Authorization": "Bearer nope"}),
            403, "forbidden")
    assert teach(client).status_code == 201
    problem(client.delete("/relations/feminine"), 401, "unauthorized")
    problem(client.delete("/relations/feminine", headers={"Authorization": "Bearer nope"}),
            403, "forbidden")
    assert client.get("/relations").get_json()["relations"][0]["name"] == "feminine"


@pytest.mark.parametrize("body,param", [
    ({"pairs": FEMININE}, "name"),
    ({"name": "feminine"}, "pairs"),
    ({"name": 7, "pairs": FEMININE}, "name"),
    ({"name": "", "pairs": FEMININE}, "name"),
    ({"name": "female-of", "pairs": FEMININE}, "name"),
    ({"name": "2nd", "pairs": FEMININE}, "name"),
    ({"name": "x" * 65, "pairs": FEMININE}, "name"),
    ({"name": "feminine", "pairs": "king queen"}, "pairs"),
    ({"name": "feminine", "pairs": {"king": "queen"}}, "pairs"),
    ({"name": "feminine", "pairs": ["kq", "mw", "pp"]}, "pairs"),
    ({"name": "feminine", "pairs": [*FEMININE, ["boy"]]}, "pairs"),
    ({"name": "feminine", "pairs": [*FEMININE, ["boy", "girl", "child"]]}, "pairs"),
    ({"name": "feminine", "pairs": [*FEMININE, ["boy", 3]]}, "pairs"),
    ({"name": "feminine", "pairs": [*FEMININE, ["boy", " "]]}, "pairs"),
    ({"name": "feminine", "pairs": FEMININE, "method": "fastest"}, "method"),
    ({"name": "feminine", "pairs": FEMININE, "method": 1}, "method"),
    ({"name": "feminine", "pairs": FEMININE, "replace": "yes"}, "replace"),
    ({"name": "feminine", "pairs": FEMININE, "pair": []}, "pair"),
])
def test_malformed_bodies_are_400s_naming_the_field(client, body, param):
    resp = client.post("/relations", json=body, headers=AUTH)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["param"] == param
    assert client.get("/relations").get_json()["relations"] == []


def test_unknown_words_and_too_few_pairs_are_400s_saying_so(client):
    body = problem(teach(client, pairs=[*FEMININE, ["boyy", "girl"], ["duke", "duchess"]]),
                   400, "unknown-words")
    assert body["words"] == ["boyy", "duke", "duchess"] and body["param"] == "pairs"
    assert "boyy" in body["detail"]
    body = problem(teach(client, pairs=[["king", "queen"], ["man", "woman"], ["King", "queen"]]),
                   400, "too-few-pairs")  # the same pair twice is one pair
    assert body["usable"] == 2 and body["needed"] == 3 and body["param"] == "pairs"


def test_a_name_taken_is_409_unless_replaced_and_a_method_can_be_chosen(client):
    assert teach(client).status_code == 201
    body = problem(teach(client, pairs=[*FEMININE, ["boy", "girl"]]), 409, "relation-exists")
    assert "feminine" in body["detail"]
    resp = teach(client, pairs=[*FEMININE, ["boy", "girl"]], replace=True, method="procrustes")
    assert resp.status_code == 201
    assert resp.get_json()["pairs"] == 4 and resp.get_json()["method"] == "procrustes"
    listed = client.get("/relations").get_json()["relations"]
    assert [(r["name"], r["pairs"]) for r in listed] == [("feminine", 4)]


def test_forgetting_a_relation_makes_it_unknown(client):
    assert teach(client).status_code == 201
    resp = client.delete("/relations/feminine", headers=AUTH)
    assert resp.status_code == 200 and resp.get_json() == {"name": "feminine", "deleted": True}
    assert client.get("/relations").get_json()["relations"] == []
    problem(client.get("/transform", query_string={"relation": "feminine", "concept": "boy"}),
            404, "unknown-relation")
    problem(client.get("/compose", query_string={"expr": "feminine(boy)"}), 404,
            "unknown-relation")
    body = problem(client.delete("/relations/feminine", headers=AUTH), 404, "unknown-relation")
    assert body["relation"] == "feminine"


def _counted(client, line: str) -> float:
    """The value of the metric ``line`` names (0 when not yet counted)."""
    for row in client.get("/metrics").get_data(as_text=True).splitlines():
        if row.startswith(line + " "):
            return float(row.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_the_relation_routes_and_the_relations(client):
    taught = 'world2vec_requests_total{method="POST",route="/relations",status="201"}'
    transformed = 'world2vec_requests_total{method="GET",route="/transform",status="200"}'
    before = _counted(client, taught), _counted(client, transformed)  # the app may be shared
    assert teach(client).status_code == 201
    client.get("/transform", query_string={"relation": "feminine", "concept": "boy"})
    text = client.get("/metrics").get_data(as_text=True)
    assert (_counted(client, taught), _counted(client, transformed)) == \
        (before[0] + 1, before[1] + 1)
    assert 'world2vec_relations{source="user"} 1' in text
    assert 'world2vec_relations{source="model"} 0' in text


def test_msgpack_bodies_and_answers(client):
    import msgpack

    resp = client.post("/relations", data=msgpack.packb({"name": "feminine", "pairs": FEMININE}),
                       headers={**AUTH, "Content-Type": "application/msgpack",
                                "Accept": "application/msgpack"})
    assert resp.status_code == 201 and msgpack.unpackb(resp.data)["name"] == "feminine"


def test_taught_relations_survive_a_restart(model_dir, fixture_model, data):
    app = open_app(model_dir, data, fixture_model)
    assert teach(app.test_client()).status_code == 201
    close_app(app)
    stored = os.path.join(data, "relations", "fixture-features", "feminine.json")
    assert os.path.isfile(stored)
    app = open_app(model_dir, data)  # a new process: the model loaded again from disk
    try:
        client = app.test_client()
        assert [r["name"] for r in client.get("/relations").get_json()["relations"]] == \
            ["feminine"]
        assert ids(client.get("/transform", query_string={"relation": "feminine",
                                                          "concept": "boy"}))[0] == "girl"
    finally:
        close_app(app)


def renamed(model: Model, name: str, drop: tuple[str, ...] = ()) -> Model:
    """The fixture model under another name, optionally without some words."""
    words = model.words
    keep = [i for i, w in enumerate(words.words) if w not in drop]
    return Model(WordVectors([words.words[i] for i in keep], words.vectors[keep],
                             words.counts[keep], name=name))


def test_refit_on_the_same_model_name_fits_again_in_place(app, tmp_path):
    client = app.test_client()
    assert teach(client).status_code == 201
    state = app.extensions["world2vec"]
    retrained = load_model(build_model(str(tmp_path / "retrained"), seed=11))  # same name
    directory = state.relations.directory
    assert state.refit_relations(retrained) == {}
    assert state.relations.directory == directory and state.relations.model is retrained
    assert ids(client.get("/transform", query_string={"relation": "feminine",
                                                      "concept": "boy"}))[0] == "girl"


def test_a_new_model_gets_the_relations_and_keeps_them_across_restarts(app, model_dir, data,
                                                                       backend):
    if backend == "milvus":
        pytest.skip("about the relation files in DATA (tests/service/test_milvus_relations.py)")
    client = app.test_client()
    assert teach(client).status_code == 201
    assert teach(client, "queenly", [["king", "queen"], ["prince", "princess"],
                                     ["man", "woman"]], method="offset").status_code == 201
    state = app.extensions["world2vec"]
    other = renamed(state.model, "fixture-other", drop=("prince", "princess", "man", "woman"))
    unavailable = state.refit_relations(other)
    assert set(unavailable) == {"feminine", "queenly"}  # one pair left of each: too few
    listed = client.get("/relations").get_json()
    assert listed["relations"] == []
    assert {u["name"] for u in listed["unavailable"]} == {"feminine", "queenly"}
    assert all("pairs" in u["reason"] for u in listed["unavailable"])

    back = renamed(state.model, "fixture-again")
    assert state.refit_relations(back) == {}
    assert {r["name"] for r in client.get("/relations").get_json()["relations"]} == \
        {"feminine", "queenly"}
    assert ids(client.get("/transform", query_string={"relation": "feminine",
                                                      "concept": "boy"}))[0] == "girl"
    for name in ("fixture-features", "fixture-other", "fixture-again"):
        assert os.path.isfile(os.path.join(data, "relations", name, "feminine.json"))
    close_app(app)
    again = open_app(model_dir, data, back)  # restarted on the model now served
    try:
        assert {r["name"] for r in again.test_client().get("/relations").get_json()["relations"]} \
            == {"feminine", "queenly"}
    finally:
        close_app(again)


def test_a_model_name_cannot_lead_the_relations_outside_the_data_directory(fixture_model,
                                                                         model_dir, data):
    app = open_app(model_dir, data, renamed(fixture_model, "../../escape"))
    try:
        directory = app.extensions["world2vec"].relations.directory
        assert os.path.dirname(directory) == os.path.join(os.path.abspath(data), "relations")
        assert teach(app.test_client()).status_code == 201
        assert os.listdir(directory) == ["feminine.json"]
    finally:
        close_app(app)
