"""add_many: batches, progress, and the report of what failed (loopback server)."""

from __future__ import annotations

import io

import pytest
from client_fake import Reply, problem

from world2vec_client import Client, Unauthorized
from world2vec_client.batch import _Bar


def store_handler(stored: dict, *, bad_word: str = "BAD", fail_batches: set[int] | None = None):
    """A fake /memories that validates a batch as a whole, like the real one."""
    calls = {"n": 0}

    def handle(req):
        calls["n"] += 1
        if fail_batches and calls["n"] in fail_batches:
            return problem(500, "Internal Server Error", "disk full")
        items = req.json()["items"]
        for pos, item in enumerate(items):
            if bad_word in (item.get("text") or ""):
                return problem(400, "Bad Request", f"item {pos} ({item.get('id')}): "
                                                   f"text is not allowed")
            if item["id"] in stored and not req.json().get("upsert", True):
                return problem(409, "Conflict", f"id {item['id']!r} exists")
        for item in items:
            stored[item["id"]] = item
        return Reply(200, {"ids": [i["id"] for i in items]})
    return handle


def items(n, bad=()):
    return [{"id": f"i{k}", "text": f"item {k}" + (" BAD" if k in bad else "")} for k in range(n)]


def test_all_good_items_go_in_batches_with_progress(fake):
    stored: dict = {}
    fake.handler = store_handler(stored)
    progress = []
    report = Client(fake.url).add_many(items(25), batch_size=10,
                                       progress=lambda done, total: progress.append((done, total)))
    assert report.ok and report.added == 25 and len(stored) == 25
    assert [len(r.json()["items"]) for r in fake.seen] == [10, 10, 5]
    assert progress == [(10, 25), (20, 25), (25, 25)]
    assert report.requests == 3


def test_bad_items_are_isolated_and_named_while_good_ones_are_stored(fake):
    stored: dict = {}
    fake.handler = store_handler(stored)
    report = Client(fake.url).add_many(items(40, bad={3, 17}), batch_size=16)
    assert sorted(stored) == sorted(f"i{k}" for k in range(40) if k not in (3, 17))
    assert [(f.position, f.id) for f in report.failures] == [(3, "i3"), (17, "i17")]
    assert all("text is not allowed" in f.reason and not f.maybe_applied
               for f in report.failures)
    assert report.added == 38 and not report.ok
    assert "item 3 (i3)" in str(report)


def test_existing_ids_conflict_only_without_upsert(fake):
    stored = {"i1": {"id": "i1", "text": "old"}}
    fake.handler = store_handler(stored)
    report = Client(fake.url).add_many(items(4), batch_size=4, upsert=False)
    assert [f.id for f in report.failures] == ["i1"] and report.added == 3
    assert stored["i1"]["text"] == "old"
    report = Client(fake.url).add_many(items(4), batch_size=4)
    assert report.ok and stored["i1"]["text"] == "item 1"


def test_server_failure_marks_the_batch_as_maybe_applied_and_goes_on(fake):
    stored: dict = {}
    fake.handler = store_handler(stored, fail_batches={2})
    report = Client(fake.url, retries=0).add_many(items(9), batch_size=3)
    assert [f.position for f in report.failures] == [3, 4, 5]
    assert all(f.maybe_applied and "disk full" in f.reason for f in report.failures)
    assert report.added == 6


def test_items_without_ids_get_ids_so_a_503_is_retried_safely(fake):
    stored: dict = {}
    inner = store_handler(stored)
    calls = {"n": 0}

    def handle(req):
        calls["n"] += 1
        inner(req)  # the first try is applied ...
        if calls["n"] == 1:
            return problem(503, "Service Unavailable", "restarting")  # ... but not answered
        return Reply(200, {"ids": [i["id"] for i in req.json()["items"]]})
    fake.handler = handle
    report = Client(fake.url, sleep=lambda s: None).add_many(
        [{"text": f"t{i}"} for i in range(4)], batch_size=4)
    assert report.ok and len(report.ids) == 4 and len(stored) == 4  # stored once, not twice
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in report.ids)
    assert fake.seen[0].json()["items"] == fake.seen[1].json()["items"]


def test_without_assigned_ids_a_503_is_reported_as_maybe_applied(fake):
    fake.handler = lambda req: problem(503, "Service Unavailable", "restarting")
    report = Client(fake.url, sleep=lambda s: None).add_many(
        [{"text": "a"}, {"text": "b"}], assign_ids=False)
    assert len(fake.seen) == 1
    assert [f.position for f in report.failures] == [0, 1]
    assert all(f.maybe_applied and f.id is None for f in report.failures)


def test_stop_on_error(fake):
    fake.handler = store_handler({}, fail_batches={1})
    report = Client(fake.url, retries=0).add_many(items(9), batch_size=3, stop_on_error=True)
    assert len(fake.seen) == 1 and len(report.failures) == 3


def test_client_side_bad_items_are_reported_without_a_request(fake):
    fake.handler = store_handler({})
    report = Client(fake.url).add_many([{"id": "v", "vector": [float("nan"), 1.0]},
                                        "not an item", {"id": "ok", "text": "fine"}])
    assert [(f.position, f.id) for f in report.failures] == [(0, "v"), (1, None)]
    assert report.ids == ["ok"]


def test_generators_work_and_auth_errors_stop_everything(fake):
    fake.handler = lambda req: problem(401, "Unauthorized", "this server needs an API key")
    with pytest.raises(Unauthorized, match="needs an API key"):
        Client(fake.url).add_many((i for i in items(5)), batch_size=2)
    assert len(fake.seen) == 1


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        Client("http://127.0.0.1:9").add_many(items(2), batch_size=0)


def test_progress_bar_draws_to_the_end():
    out = io.StringIO()
    bar = _Bar(4, out)
    bar(2, 4)
    bar(4, 4)
    text = out.getvalue()
    assert "2/4" in text and "4/4" in text and text.endswith("\n")
