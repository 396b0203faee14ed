"""Snapshots, relations, models and jobs through the sync Client, the 507 of a full disk,
and which new calls may be resent, against the stateful fake service."""

from __future__ import annotations

import tarfile

import pytest
from client_fake import Reply, problem

from world2vec_client import (
    BadRequest,
    Client,
    Conflict,
    ConnectionFailed,
    InsufficientStorage,
    Job,
    JobFailed,
    JobTimeout,
    ModelInfo,
    NotFound,
    Relation,
    ServerError,
    ServiceUnavailable,
    SnapshotInfo,
    Unauthorized,
)


def test_snapshot_create_list_and_download(fake, service, tmp_path):
    c = Client(fake.url)
    c.add([{"id": "a", "text": "a cat"}, {"id": "b", "text": "a dog"}])
    snap = c.create_snapshot()
    assert isinstance(snap, SnapshotInfo) and snap.name == "snap-1.tar" and snap.items == 2
    assert snap.bytes > 0 and snap.created_at == "2024-05-01T12:00:00Z"
    assert [s.name for s in c.snapshots()] == ["snap-1.tar"]
    path = c.download_snapshot(snap.name, tmp_path / "backup.tar")
    assert path == tmp_path / "backup.tar" and path.stat().st_size == snap.bytes
    with tarfile.open(path) as tar:
        assert "default.jsonl" in tar.getnames()
    into_dir = c.download_snapshot(snap.name, tmp_path)
    assert into_dir == tmp_path / "snap-1.tar" and into_dir.read_bytes() == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.tar", "snap-1.tar"]
    with pytest.raises(NotFound, match="no snapshot"):
        c.download_snapshot("nope.tar", tmp_path / "nope.tar")
    assert not (tmp_path / "nope.tar").exists()


def test_broken_download_leaves_no_file_and_is_resent(fake, tmp_path, sleeps):
    calls = {"n": 0}

    def handle(req):
        calls["n"] += 1
        if calls["n"] == 1:  # promise the whole archive, send 10 bytes, hang up
            return Reply(200, b"0123456789" * 100, "application/x-tar", cut_after=10)
        return Reply(200, b"whole archive", "application/x-tar")
    fake.handler = handle
    target = tmp_path / "s.tar"
    with pytest.raises(ConnectionFailed):
        Client(fake.url, retries=0).download_snapshot("s.tar", target)
    assert not target.exists() and list(tmp_path.iterdir()) == []
    assert Client(fake.url, sleep=sleeps.append).download_snapshot("s.tar", target) == target
    assert target.read_bytes() == b"whole archive"


def test_relations_transform_teach_forget(fake, service):
    c = Client(fake.url)
    assert c.relations() == [Relation("capital", "offset", 40, 0.8, "model")]
    hits = c.transform("capital", "france", k=3)
    assert fake.seen[-1].query == {"relation": ["capital"], "concept": ["france"], "k": ["3"]}
    assert hits.ids[0] == "capital-of-france-0" and len(hits) == 3
    pairs = [("cat", "cats"), ("dog", "dogs"), ("car", "cars")]
    taught = c.teach("plural", pairs)
    assert fake.seen[-1].json() == {"name": "plural", "pairs": [["cat", "cats"], ["dog", "dogs"],
                                                                ["car", "cars"]],
                                    "method": "auto", "replace": False}
    assert taught.name == "plural" and taught.accuracy == 0.75 and taught.pairs == 3
    assert {r.name: r.source for r in c.relations()} == {"capital": "model", "plural": "user"}
    with pytest.raises(BadRequest, match="zzq"):
        c.teach("odd", [("zzq", "x"), ("a", "b"), ("c", "d")])
    with pytest.raises(ValueError, match="pair 1"):
        c.teach("odd", [("a", "b"), ("just one",)])
    assert c.forget("plural") is None
    assert [r.name for r in c.relations()] == ["capital"]
    with pytest.raises(NotFound):
        c.transform("plural", "cat")


def test_models_train_activate_and_wait(fake, service, sleeps):
    c = Client(fake.url, sleep=sleeps.append)
    models = c.models()
    assert models.active == "default" and models == [
        ModelInfo("default", 8, 1000, "2024-01-01T00:00:00Z", True)]
    job_id = c.train("news", texts=["fresh words here"], epochs=2, include_memories=True)
    assert fake.seen[-1].json() == {"name": "news", "include_memories": True, "epochs": 2,
                                    "texts": ["fresh words here"]}
    first = c.job(job_id)
    assert isinstance(first, Job) and first.state == "queued" and not first.finished
    done = c.wait(job_id, poll=0.5)
    assert done.state == "done" and done.progress == 1.0 and done.result["gate"]["passed"]
    assert sleeps == [0.5]  # queued (the job() above), running, then done: one pause between polls
    act = c.activate("news")
    assert fake.seen[-1].path == "/models/news/activate" and fake.seen[-1].json() == {"force": False}
    assert c.wait(act, poll=0).state == "done"
    assert c.models().active == "news"


def test_wait_raises_on_failure_and_on_timeout(fake, service, sleeps):
    c = Client(fake.url, sleep=sleeps.append)
    with pytest.raises(JobFailed) as info:
        c.wait(c.train("bad-model", texts=["x"]), poll=0)
    assert info.value.job.state == "failed" and "no known words" in str(info.value)
    with pytest.raises(JobTimeout) as late:
        c.wait(c.train("slow"), timeout=0)
    assert late.value.job.state == "queued" and isinstance(late.value, TimeoutError)


def test_activating_a_model_that_failed_its_gate_needs_force(fake, service):
    c = Client(fake.url)
    c.train("gate-fail")
    with pytest.raises(Conflict, match="failed its evaluation gate"):
        c.activate("gate-fail")
    assert c.activate("gate-fail", force=True).startswith("job-")
    assert fake.seen[-1].json() == {"force": True}


def test_full_disk_is_insufficient_storage_and_not_retried(fake, service, sleeps):
    service.disk_full = True
    c = Client(fake.url, sleep=sleeps.append)
    with pytest.raises(InsufficientStorage) as info:
        c.add([{"id": "a", "text": "x"}])
    err = info.value
    assert isinstance(err, ServerError) and err.status == 507 and "disk is full" in err.detail
    assert err.type.endswith("/insufficient-storage")
    assert len(fake.seen) == 1 and sleeps == []
    assert c.count() == 0  # reads still work


def test_write_routes_send_the_key(fake, service):
    service.api_key = "k"
    with pytest.raises(Unauthorized):
        Client(fake.url).create_collection("notes")
    assert Client(fake.url).collections()[0].name == "default"  # a GET needs no key
    Client(fake.url, api_key="k").create_collection("notes")
    assert fake.seen[-1].headers["authorization"] == "Bearer k"


IDEMPOTENT = {
    "count": lambda c: c.count(),
    "scroll": lambda c: c.scroll(),
    "get_many": lambda c: c.get_many(["a"]),
    "search_batch": lambda c: c.search_batch(["a"]),
    "patch": lambda c: c.patch("a", {"x": 1}),
    "delete_many by ids": lambda c: c.delete_many(["a"]),
    "collections": lambda c: c.collections(),
    "delete_collection": lambda c: c.delete_collection("notes"),
    "collection count": lambda c: c.collection("notes").count(),
    "snapshots": lambda c: c.snapshots(),
    "teach with replace": lambda c: c.teach("r", [("a", "b")] * 3, replace=True),
    "models": lambda c: c.models(),
    "job": lambda c: c.job("job-1"),
}
NOT_IDEMPOTENT = {
    "create_collection": lambda c: c.create_collection("other"),
    "delete_many by filter": lambda c: c.delete_many(filter={"kind": "fact"}),
    "create_snapshot": lambda c: c.create_snapshot(),
    "teach": lambda c: c.teach("r", [("a", "b")] * 3),
    "train": lambda c: c.train("m"),
    "activate": lambda c: c.activate("default"),
}


def first_try_unavailable(service):
    """The service behind a proxy that answers the first request 503 (nothing applied)."""
    state = {"n": 0}

    def handle(req):
        state["n"] += 1
        if state["n"] == 1:
            return problem(503, "Service Unavailable", "restarting")
        return service(req)
    return handle


def prepared(fake, service):
    service.collections["notes"] = {"dim": 8, "metric": "cosine", "model": "default", "items": {}}
    Client(fake.url).add([{"id": "a", "text": "x"}])
    service.jobs["job-1"] = {"id": "job-1", "kind": "train", "state": "done", "progress": 1.0,
                             "detail": None, "result": None, "polls": 0, "fails": False}
    fake.seen.clear()
    fake.handler = first_try_unavailable(service)


@pytest.mark.parametrize("name", sorted(IDEMPOTENT))
def test_idempotent_calls_are_resent_after_a_503(fake, service, sleeps, name):
    prepared(fake, service)
    IDEMPOTENT[name](Client(fake.url, sleep=sleeps.append))
    assert len(fake.seen) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("name", sorted(NOT_IDEMPOTENT))
def test_creating_calls_are_not_resent_after_a_503(fake, service, sleeps, name):
    prepared(fake, service)
    with pytest.raises(ServiceUnavailable):
        NOT_IDEMPOTENT[name](Client(fake.url, sleep=sleeps.append))
    assert len(fake.seen) == 1 and sleeps == []
