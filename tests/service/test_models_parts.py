"""The parts of a model switch on their own: the pointer, the gate that holds writes, the
diff of two copies of a store, the job board, the evaluation gate's rule, where each
collection's store is found at startup and the leftovers of a crashed switch, and
requests pinned to one served pair."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
from service_model_fixture import build_model

from world2vec.embeddings import load_model
from world2vec.memory import MemoryStore
from world2vec.memory.collections import Manifest
from world2vec.memory.collections.active_model import POINTER_FILE, ActivePointer, read_pointer
from world2vec.memory.collections.manifest import write_manifest
from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig
from world2vec.service.models import watch
from world2vec.service.models.bound import (
    StoreCopy,
    new_store_directory,
    remove_leftovers,
    resolve_startup,
)
from world2vec.service.models.gate import compare
from world2vec.service.models.jobs import JobBoard, JobBusy, JobFailure
from world2vec.service.models.pointer import write_pointer
from world2vec.service.models.reencode import changes_between
from world2vec.service.models.switch import SwitchGate
from world2vec.service.models.watch import WatchedStore


def test_the_pointer_is_replaced_whole_and_a_damaged_one_is_an_error(tmp_path):
    assert read_pointer(str(tmp_path)) is None
    first = ActivePointer("a", "models/a", {"default": "stores/default-a-1"}, None, 1.0)
    write_pointer(str(tmp_path), first)
    second = ActivePointer("b", "/elsewhere/b", {"default": "stores/default-b-1"},
                           {"model": "a", "model_path": "models/a"}, 2.0)
    write_pointer(str(tmp_path), second)
    assert read_pointer(str(tmp_path)) == second
    assert os.listdir(tmp_path) == [POINTER_FILE]          # no temporary file left behind
    (tmp_path / POINTER_FILE).write_text('{"model": 3')
    with pytest.raises(ValueError, match="will not guess"):
        read_pointer(str(tmp_path))


def test_the_switch_gate_waits_for_writes_in_flight_and_holds_new_ones():
    gate, order = SwitchGate(), []
    gate.enter()                                          # a write request in flight

    def switch():
        with gate.closed():
            order.append("switch")

    def late_writer():
        gate.enter()
        order.append("late write")
        gate.leave()

    switcher = threading.Thread(target=switch)
    switcher.start()
    time.sleep(0.1)
    writer = threading.Thread(target=late_writer)
    writer.start()
    time.sleep(0.1)
    assert order == []                                    # both wait for the first write
    gate.leave()
    switcher.join(5)
    writer.join(5)
    assert order == ["switch", "late write"]


def _copy(rows: dict[str, tuple[str, list[float]]]) -> StoreCopy:
    ids = list(rows)
    n = len(ids)
    meta = {"ids": ids, "kinds": ["fact"] * n, "texts": [rows[i][0] for i in ids],
            "tags": [[] for _ in ids], "payloads": [{} for _ in ids], "answers": [None] * n,
            "created": [1.0] * n}
    return StoreCopy(np.array([rows[i][1] for i in ids], dtype=np.float32).reshape(n, -1), meta)


def test_changes_between_two_copies_of_a_store():
    before = _copy({"a": ("x", [1, 0]), "b": ("y", [0, 1]), "c": ("z", [1, 1]),
                    "d": ("w", [1, 0])})
    after = _copy({"a": ("x", [1, 0]), "b": ("y2", [0, 1]), "c": ("z", [0, 1]),
                   "e": ("new", [1, 0])})
    changed, deleted = changes_between(before, after)
    assert [after.meta["ids"][j] for j in changed] == ["b", "c", "e"] and deleted == ["d"]
    assert changes_between(after, after) == ([], [])


def test_jobs_run_one_at_a_time_and_end_done_or_failed():
    board, release = JobBoard(), threading.Event()

    def slow(handle):
        handle.progress(0.5, "half way")
        handle.progress(0.2)                  # progress never goes back
        release.wait(5)
        return {"answer": 42}

    job = board.start("train", slow)
    time.sleep(0.1)
    assert board.get(job.id)["progress"] == 0.5 and board.get(job.id)["detail"] == "half way"
    with pytest.raises(JobBusy):
        board.start("activate", lambda h: {})
    release.set()
    assert board.wait_idle(5)
    assert board.get(job.id)["state"] == "done" and board.get(job.id)["result"] == {"answer": 42}

    def refuse(handle):
        raise JobFailure("nothing to do")

    failed = board.start("train", refuse)
    assert board.wait_idle(5)
    assert board.get(failed.id)["state"] == "failed"
    assert board.get(failed.id)["detail"] == "nothing to do"
    assert [j["id"] for j in board.list()] == [failed.id, job.id]


def test_the_gate_judges_only_figures_with_enough_answers():
    settings = {"tolerance": 0.01, "min_answered": 10}
    active = {"a": {"metric": "accuracy", "value": 0.30, "answered": 100},
              "s": {"metric": "spearman", "value": 0.50, "answered": 300},
              "tiny": {"metric": "spearman", "value": 0.9, "answered": 3}}
    slightly_lower = {"a": {"value": 0.295, "answered": 100}, "s": {"value": 0.52, "answered": 300},
                      "tiny": {"value": -0.5, "answered": 3}}
    gate = compare(slightly_lower, active, settings)
    assert gate["passed"] is True
    assert {r["set"]: r["passed"] for r in gate["figures"]} == {"a": True, "s": True, "tiny": None}
    worse = {**slightly_lower, "a": {"value": 0.25, "answered": 100}}
    assert compare(worse, active, settings)["passed"] is False


def test_startup_follows_the_pointer_and_only_the_lock_holder_clears_leftovers(tmp_path):
    data = tmp_path / "data"
    (data / "stores" / "default-m-1").mkdir(parents=True)
    (data / "stores" / "default-m-2").mkdir()             # a switch that never committed
    (data / "wal-00000000.log").write_bytes(b"W2VWAL1\n")   # the memory it switched away from
    (data / "notes.txt").write_text("mine")
    model = build_model(str(tmp_path / "m"))
    write_pointer(str(data), ActivePointer("m", model, {"default": "stores/default-m-1"}))
    startup = resolve_startup(str(data), None)
    assert startup.model_path == model and startup.store_dir == str(data / "stores" / "default-m-1")
    assert sorted(os.listdir(data / "stores")) == ["default-m-1", "default-m-2"]   # reads only
    remove_leftovers(str(data), startup)
    assert os.listdir(data / "stores") == ["default-m-1"]
    assert sorted(os.listdir(data)) == ["active-model.json", "notes.txt", "stores"]
    os.rename(data / "stores" / "default-m-1", data / "stores" / "gone")
    with pytest.raises(ValueError, match="missing"):
        resolve_startup(str(data), None)


def _collection(data, name: str, model: str | None, store_files: bool = True) -> None:
    home = data / "collections" / name
    home.mkdir(parents=True)
    write_manifest(str(home), Manifest(name, 32, "cosine", model, 1.0))
    if store_files:
        (home / "wal-00000000.log").write_bytes(b"W2VWAL1\n")
        (home / "LOCK").write_text("")


def test_startup_opens_each_collection_where_the_pointer_says(tmp_path):
    data = tmp_path / "data"
    for name in ("default-m-1", "notes-m-1", "gone-m-1", "notes-m-2"):
        (data / "stores" / name).mkdir(parents=True)
    _collection(data, "notes", "default")       # switched, old side not yet removed
    _collection(data, "anew", "default")        # removed after the switch and made anew
    _collection(data, "raw", None)              # its own vectors: never switched
    model = build_model(str(tmp_path / "m"))
    write_pointer(str(data), ActivePointer("m", model, {
        "default": "stores/default-m-1", "notes": "stores/notes-m-1",
        "gone": "stores/gone-m-1",              # removed after the switch (crash mid-removal)
        "anew": "stores/anew-m-1", "raw": "stores/notes-m-2"}))
    startup = resolve_startup(str(data), None)
    assert startup.collection_stores == {"notes": str(data / "stores" / "notes-m-1")}
    remove_leftovers(str(data), startup)
    assert sorted(os.listdir(data / "stores")) == ["default-m-1", "notes-m-1"]
    assert os.listdir(data / "collections" / "notes") == ["manifest.json"]
    for kept in ("anew", "raw"):                # served from their own directories
        assert sorted(os.listdir(data / "collections" / kept)) == [
            "LOCK", "manifest.json", "wal-00000000.log"]
    assert new_store_directory(str(data), "anew", "m") == os.path.join("stores", "anew-m-2")


def test_a_request_pinned_before_a_switch_answers_from_the_old_pair(tmp_path):
    model_dir = build_model(str(tmp_path / "m"))
    app = create_app(ServiceConfig(model=model_dir, data=str(tmp_path / "data")))
    try:
        state = app.extensions["world2vec"]
        pinned = state.pinned()
        other = load_model(build_model(str(tmp_path / "m2"), seed=11))
        store = MemoryStore.open(str(tmp_path / "other-store"), other.dim)
        state.refit_relations(other, stores={"default": store})
        assert state.store is store and state.model is other
        assert pinned.store is not store and pinned.model.path == model_dir
        assert pinned.relations.model is pinned.model            # never a mix
        assert not pinned.served.wait_idle(0.05)                 # still in use ...
        pinned.unpin()
        assert pinned.served.wait_idle(0.05)                     # ... until released
        pinned.served.store.close()
    finally:
        close_app(app)


def test_a_watched_store_notes_writes_and_flags_methods_it_does_not_know(tmp_path):
    store = MemoryStore.open(str(tmp_path / "s"), 4)
    try:
        watched = WatchedStore(store)
        watched.add([{"id": "a", "vector": [1, 0, 0, 0]}])
        watched.upsert([{"id": "b", "vector": [0, 1, 0, 0]}])
        assert watched.delete("a") and watched.delete_many(["x"]) == 0
        assert watched.take() == {"a", "b", "x"} and watched.take() == set()
        assert [h.id for h in watched.search(np.array([0, 1, 0, 0], np.float32), 1)] == ["b"]
        assert len(watched) == 1 and "b" in watched and watched.complete
        _ = watched.open                    # not known to change nothing: assume it may
        assert not watched.complete
    finally:
        store.close()


def test_a_switch_falls_back_to_comparing_copies_when_a_write_was_not_noted(tmp_path,
                                                                            monkeypatch):
    model_dir = build_model(str(tmp_path / "m"))
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    build_model(str(data / "models" / "other"), seed=11)     # put there by hand, named otherwise
    monkeypatch.setattr(watch, "PASS_THROUGH", frozenset())  # every call counts as unknown
    app = create_app(ServiceConfig(model=model_dir, data=str(data)))
    try:
        client = app.test_client()
        items = [{"id": f"i{n}", "text": text} for n, text in
                 enumerate(["the cat in the sun", "a king in paris", "the dog and the puppy"])]
        assert client.post("/memories", json={"items": items}).status_code == 200
        job = client.post("/models/other/activate", json={}).get_json()["job"]
        assert app.extensions["world2vec.models"].jobs.wait_idle(60)
        result = client.get(f"/jobs/{job}").get_json()
        assert result["state"] == "done", result
        assert client.get("/health").get_json() == {"status": "ok", "model": "other", "dim": 32,
                                                    "items": 3,
                                                    "collections": {"default": 3}}
        for item in items:
            hits = client.post("/search", json={"text": item["text"], "k": 1}).get_json()
            assert hits["results"][0]["id"] == item["id"]
        assert read_pointer(str(data)).model == "other"
    finally:
        close_app(app)
    app = create_app(ServiceConfig(model=model_dir, data=str(data)))   # a restart: still "other"
    try:
        assert app.test_client().get("/models").get_json()["active"] == "other"
    finally:
        close_app(app)
