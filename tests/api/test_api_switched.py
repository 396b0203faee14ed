"""``world2vec.Memory`` on a data directory whose served model the service switched
(``POST /models/<name>/activate``): it opens the activated model and the stores the
pointer names, as ``world2vec serve`` does, before and after the restart that removes
the retired files; a model given that is not the activated one is passed over with a
warning (the service's rule for ``--model``)."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest

import world2vec
from world2vec.embeddings import load_model
from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "service"))
from service_model_fixture import build_model

TEXTS = ["the cat in the sun", "a king in paris", "the dog and the puppy"]
NOTES = ["the lion and the tiger", "rain and snow in berlin", "a song on the piano"]


@pytest.fixture(scope="module")
def switched(tmp_path_factory):
    """A data directory filled by the service on the first model and switched to
    ``other``, before the restart (the retired stores still on disk) and after it."""
    root = tmp_path_factory.mktemp("switched")
    first_dir = build_model(str(root / "m"))
    data = root / "data"
    (data / "models").mkdir(parents=True)
    other_dir = build_model(str(data / "models" / "other"), seed=11)
    config = ServiceConfig(model=first_dir, data=str(data))
    app = create_app(config)
    try:
        client = app.test_client()
        items = [{"id": f"i{n}", "text": t} for n, t in enumerate(TEXTS)]
        assert client.post("/memories", json={"items": items}).status_code == 200
        assert client.post("/collections", json={"name": "notes"}).status_code == 201
        notes = [{"id": f"n{n}", "text": t} for n, t in enumerate(NOTES)]
        assert client.post("/collections/notes/memories", json={"items": notes}).status_code == 200
        job = client.post("/models/other/activate", json={}).get_json()["job"]
        assert app.extensions["world2vec.models"].jobs.wait_idle(60)
        assert client.get(f"/jobs/{job}").get_json()["state"] == "done"
    finally:
        close_app(app)
    return {"data": data, "config": config, "first": load_model(first_dir),
            "other": load_model(other_dir), "other_dir": other_dir}


def _restart(config) -> None:
    close_app(create_app(config))


def _assert_on_other(memory, switched) -> None:
    """The memory is the switched one: the activated model, its encodings in ``default``
    and ``notes``, each text found first by itself, queries encoded by that model."""
    other, first = switched["other"], switched["first"]
    assert memory.health().model == "other" and memory.health().items == len(TEXTS)
    assert os.path.samefile(memory.model.path, switched["other_dir"])
    for scope, texts, prefix in ((memory, TEXTS, "i"), (memory.collection("notes"), NOTES, "n")):
        assert scope.count() == len(texts)
        for n, text in enumerate(texts):
            hits = scope.search(text, k=1)
            assert hits.ids == [f"{prefix}{n}"] and hits[0].score > 0.999, hits
            expected = np.asarray(other.encode_texts([text]), dtype=np.float32)[0]
            assert np.allclose(scope.get(f"{prefix}{n}").vector, expected, atol=1e-5)
    query = memory.encode(texts=[TEXTS[0]])[0]
    assert np.allclose(query, other.encode_texts([TEXTS[0]])[0], atol=1e-5)
    assert not np.allclose(query, first.encode_texts([TEXTS[0]])[0], atol=1e-3)


def test_memory_follows_the_pointer_before_and_after_the_restart(switched):
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # no model given: nothing to warn about
        with world2vec.Memory(switched["data"]) as memory:
            _assert_on_other(memory, switched)
    _restart(switched["config"])                   # removes the retired stores
    assert os.listdir(switched["data"] / "collections" / "notes") == ["manifest.json"]
    with world2vec.Memory(switched["data"]) as memory:
        _assert_on_other(memory, switched)


def test_a_model_that_is_not_the_activated_one_is_passed_over_with_a_warning(switched):
    first = switched["first"]
    for given in (first.path, first):
        with pytest.warns(UserWarning, match="'other'.*rather than the model given") as caught:
            memory = world2vec.Memory(switched["data"], model=given)
        with memory:
            assert first.path in str(caught[0].message)
            _assert_on_other(memory, switched)
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # the activated model itself: no warning
        with world2vec.Memory(switched["data"], model=switched["other_dir"]) as memory:
            _assert_on_other(memory, switched)


def test_what_a_memory_writes_after_a_switch_the_service_serves(switched):
    with world2vec.Memory(switched["data"]) as memory:
        memory.collection("notes").add([{"id": "late", "text": "the wolf and the fox"}])
    app = create_app(switched["config"])
    try:
        client = app.test_client()
        hits = client.post("/collections/notes/search",
                           json={"text": "the wolf and the fox", "k": 1}).get_json()["results"]
        assert hits[0]["id"] == "late" and hits[0]["score"] > 0.999
        assert client.delete("/collections/notes/memories/late").status_code in (200, 204)
    finally:
        close_app(app)


def test_a_pointer_that_cannot_be_read_is_refused_not_guessed(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "active-model.json").write_text('{"model": 3')
    with pytest.raises(ValueError, match="active-model.json cannot be read"):
        world2vec.Memory(data)
    assert not any(name.startswith("wal-") or name == "LOCK" for name in os.listdir(data))
