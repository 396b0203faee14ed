"""``world2vec serve --backend milvus``: the memory routes answer as on the embedded store,
and the memory is Milvus's (here a Milvus Lite file): it outlives the server process."""

from __future__ import annotations

import pytest
import requests
from service_server import start_server, stop_server

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")


def _start(model_dir, data, log, *extra):
    return start_server(model_dir, str(data), str(log), timeout=180,
                        extra_args=("--backend", "milvus", "--milvus-uri", str(data / "milvus.db"),
                                    *extra))


def test_serve_on_milvus_answers_the_memory_routes_and_keeps_the_data(model_dir, auth, tmp_path):
    data = tmp_path / "data"
    server = _start(model_dir, data, tmp_path / "first.log")
    try:
        url = server.url
        dim = requests.get(url + "/health", timeout=30).json()["dim"]
        axis = [[1.0 if j == i else 0.0 for j in range(dim)] for i in range(4)]
        items = [{"id": "cat-fact", "text": "a small cat", "kind": "fact", "tags": ["pet"],
                  "payload": {"year": 2001, "lang": "en"}},
                 {"id": "x", "vector": axis[0], "kind": "note", "tags": ["pet", "odd"],
                  "payload": {"year": 1990}},
                 {"id": 'quote"back\\slash', "vector": axis[1], "kind": "note",
                  "payload": {"year": [1980, 2020]}}]
        answer = requests.post(url + "/memories", json={"items": items}, headers=auth, timeout=30)
        assert answer.status_code == 200, answer.text
        assert requests.get(url + "/health", timeout=30).json()["items"] == 3
        got = requests.get(url + "/memories/x", timeout=30).json()
        assert (got["kind"], got["tags"], got["payload"]) == ("note", ["pet", "odd"], {"year": 1990})
        hits = requests.post(url + "/search", json={"vector": axis[0], "k": 2}, timeout=30).json()
        assert hits["results"][0]["id"] == "x" and hits["results"][0]["score"] == pytest.approx(1.0)
        flt = {"kind": "note", "payload": {"year": {"gte": 2000}}}
        hits = requests.post(url + "/search", json={"vector": axis[0], "k": 5, "filter": flt},
                             timeout=30).json()
        assert [h["id"] for h in hits["results"]] == ['quote"back\\slash']   # 2020 in its list
        hits = requests.post(url + "/search", json={"text": "cat", "k": 5,
                                                    "filter": {"tags": {"none": ["odd"]}}},
                             timeout=30).json()
        assert "x" not in [h["id"] for h in hits["results"]]
        bad = requests.post(url + "/search", json={"vector": axis[0], "filter": {"kind": 3}},
                            timeout=30)
        assert bad.status_code == 400 and bad.headers["Content-Type"] == "application/problem+json"
        again = requests.post(url + "/memories", json={"items": [items[1]], "upsert": False},
                              headers=auth, timeout=30)
        assert again.status_code == 409
        assert requests.delete(url + "/memories/cat-fact", headers=auth, timeout=30).status_code == 200
        assert requests.delete(url + "/memories/cat-fact", headers=auth, timeout=30).status_code == 404
        assert requests.get(url + "/memories/cat-fact", timeout=30).status_code == 404
    finally:
        stop_server(server)
    server = _start(model_dir, data, tmp_path / "second.log")
    try:
        url = server.url
        assert requests.get(url + "/health", timeout=30).json()["items"] == 2
        got = requests.get(url + "/memories/quote%22back%5Cslash", timeout=30)
        assert got.status_code == 200 and got.json()["payload"] == {"year": [1980, 2020]}
        hits = requests.post(url + "/search", json={"vector": axis[0], "k": 1}, timeout=30).json()
        assert hits["results"][0]["id"] == "x"
    finally:
        stop_server(server)


def test_the_backend_flag_is_checked(model_dir, tmp_path):
    from test_serve import run_serve
    done = run_serve("--model", model_dir, "--data", str(tmp_path), "--backend", "cassandra")
    assert done.returncode == 2 and "backend" in done.stderr


def test_the_backend_comes_from_the_environment_too():
    from world2vec.service.config import ServiceConfig
    config = ServiceConfig.from_sources({}, {"WORLD2VEC_BACKEND": "Milvus",
                                             "WORLD2VEC_MILVUS_URI": "http://milvus:19530",
                                             "WORLD2VEC_MILVUS_TOKEN": ""})
    assert (config.backend, config.milvus_uri, config.milvus_token) == \
        ("milvus", "http://milvus:19530", None)
    assert ServiceConfig.from_sources({"backend": "faiss"}, {"WORLD2VEC_BACKEND": "milvus"}).backend \
        == "faiss"                                   # a flag beats the environment


def test_routes_that_need_the_data_directory_answer_501_not_500(model_dir, auth, tmp_path):
    """Snapshots are archives of DATA's files: with Milvus a client is told plainly (501
    problem) that they are not available, and the memory still works. Training and a
    model switch do work there (test_models_milvus_switch.py): checked, not refused."""
    from world2vec.service.app import close_app, create_app
    from world2vec.service.config import ServiceConfig

    app = create_app(ServiceConfig(model=model_dir, data=str(tmp_path), backend="milvus",
                                   milvus_uri=str(tmp_path / "m.db")))
    try:
        client = app.test_client()
        for method, path in (("post", "/snapshots"), ("get", "/snapshots"),
                             ("get", "/snapshots/any.tar")):
            answer = getattr(client, method)(path, json={}, headers=auth)
            assert answer.status_code == 501, (path, answer.get_data(as_text=True))
            assert answer.json["type"].endswith("/not-available")
            assert "milvus" in answer.json["detail"]
        assert client.get("/models").status_code == 200
        assert client.post("/models/train", json={}, headers=auth).status_code == 400
        assert client.post("/models/other/activate", json={}, headers=auth).status_code == 404
        assert client.post("/memories", json={"items": [{"id": "a", "text": "cat"}]},
                           headers=auth).status_code == 200
        assert client.post("/memories/count", json={}).json["count"] == 1
    finally:
        close_app(app)


def test_the_default_backend_never_imports_pymilvus():
    """The service's modules load without the milvus extra: only --backend milvus needs it."""
    import subprocess
    import sys
    code = ("import sys; import world2vec.service.app, world2vec.commands.serve; "
            "import world2vec.memory, world2vec.memory.collections; "
            "print(any(m.split('.')[0] in ('pymilvus', 'milvus_lite') for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
