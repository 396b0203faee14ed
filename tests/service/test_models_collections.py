"""A model switch in a data directory with collections: ``default`` follows the switch
(unscoped and under ``/collections/default``), the other collections stay where they are,
searchable and writable, before and after a restart."""

from __future__ import annotations

from service_model_fixture import build_model

from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig
from world2vec.service.models.pointer import read_pointer

TEXTS = ["the cat in the sun", "a king in paris", "the dog and the puppy"]


def _switch(app, client, name: str) -> None:
    job = client.post(f"/models/{name}/activate", json={}).get_json()["job"]
    assert app.extensions["world2vec.models"].jobs.wait_idle(60)
    result = client.get(f"/jobs/{job}").get_json()
    assert result["state"] == "done", result


def test_collections_survive_a_switch_and_default_follows_it(tmp_path):
    model_dir = build_model(str(tmp_path / "m"))
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    build_model(str(data / "models" / "other"), seed=11)
    app = create_app(ServiceConfig(model=model_dir, data=str(data)))
    try:
        client = app.test_client()
        items = [{"id": f"i{n}", "text": t} for n, t in enumerate(TEXTS)]
        assert client.post("/memories", json={"items": items}).status_code == 200
        assert client.post("/collections", json={"name": "notes"}).status_code == 201
        assert client.post("/collections", json={"name": "raw", "dim": 2, "model": None}
                           ).status_code == 201
        assert client.post("/collections/notes/memories",
                           json={"items": [{"id": "n1", "text": TEXTS[1]}]}).status_code == 200
        assert client.post("/collections/raw/memories",
                           json={"items": [{"id": "r1", "vector": [1.0, 0.0]}]}).status_code == 200

        _switch(app, client, "other")

        health = client.get("/health").get_json()
        assert health["model"] == "other"
        assert health["collections"] == {"default": 3, "notes": 1, "raw": 1}
        scoped = client.post("/collections/default/search",
                             json={"text": TEXTS[2], "k": 1}).get_json()
        assert scoped["results"][0]["id"] == "i2"            # the re-encoded default store
        assert client.get("/collections/notes/memories/n1").status_code == 200
        assert client.post("/collections/notes/search",
                           json={"text": TEXTS[1], "k": 1}).get_json()["results"][0]["id"] == "n1"
        raw = client.post("/collections/raw/search", json={"vector": [1.0, 0.0], "k": 1})
        assert raw.get_json()["results"][0]["id"] == "r1"
        assert client.post("/collections", json={"name": "later"}).status_code == 201
        assert client.post("/collections/default/memories",
                           json={"items": [{"id": "i9", "text": "a cat"}]}).status_code == 200
        assert client.get("/memories/i9").status_code == 200   # one default store, two routes
        assert read_pointer(str(data)).model == "other"
    finally:
        close_app(app)
    app = create_app(ServiceConfig(model=model_dir, data=str(data)))   # a restart
    try:
        health = app.test_client().get("/health").get_json()
        assert health["model"] == "other"
        assert health["collections"] == {"default": 4, "later": 0, "notes": 1, "raw": 1}
    finally:
        close_app(app)
