"""With ``--backend milvus`` the users' relations live in Milvus: two service replicas on
one Milvus see what the other taught or forgot at their next request, a restart keeps
them, and nothing of them lands in DATA or in GET /collections.

Milvus Lite serves a file to one process only, so the two replicas here are two apps in
one process, each with its own connection and state, sharing the Milvus collections
under one prefix as two hosts share a Milvus server.
"""

from __future__ import annotations

import os

import pytest
from service_server import API_KEY
from test_relations_api import FEMININE, ids, teach

from world2vec.embeddings import load_model
from world2vec.service.app import close_app

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="module")
def fixture_model(model_dir):
    return load_model(model_dir)


def names(client) -> list[str]:
    return [r["name"] for r in client.get("/relations").get_json()["relations"]]


def test_a_relation_taught_through_one_replica_is_used_by_another(backends, model_dir,
                                                                   fixture_model, tmp_path):
    prefix = backends.new_prefix()
    one = backends.app("milvus", model_dir, str(tmp_path / "one"), model=fixture_model,
                       api_key=API_KEY, prefix=prefix)
    two = backends.app("milvus", model_dir, str(tmp_path / "two"), model=fixture_model,
                       api_key=API_KEY, prefix=prefix)
    try:
        a, b = one.test_client(), two.test_client()
        assert names(b) == []
        assert teach(a).status_code == 201
        assert names(b) == ["feminine"]
        assert ids(b.get("/transform", query_string={"relation": "feminine",
                                                     "concept": "boy"}))[0] == "girl"
        assert ids(b.get("/compose", query_string={"expr": "feminine(boy)"}))[0] == "girl"
        assert teach(b).status_code == 409           # the name is taken, whoever took it
        assert teach(b, replace=True, method="offset").status_code == 201
        assert [r["method"] for r in a.get("/relations").get_json()["relations"]] == ["offset"]
        assert b.delete("/relations/feminine", headers=AUTH).status_code == 200
        assert names(a) == []
        assert a.get("/transform", query_string={"relation": "feminine",
                                                 "concept": "boy"}).status_code == 404
        assert a.delete("/relations/feminine", headers=AUTH).status_code == 404
        assert teach(a, "womanly", FEMININE).status_code == 201
        listed = [c["name"] for c in a.get("/collections").get_json()["collections"]]
        assert listed == ["default"]                  # the records' collection is internal
        assert not os.path.exists(tmp_path / "one" / "relations")
    finally:
        close_app(one)
        close_app(two)
    again = backends.app("milvus", model_dir, str(tmp_path / "three"), model=fixture_model,
                         api_key=API_KEY, prefix=prefix)   # a restart, on another host
    try:
        assert names(again.test_client()) == ["womanly"]
    finally:
        close_app(again)
