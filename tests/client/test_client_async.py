"""AsyncClient: the same surface as Client, awaited, over httpx; the same retry rule, error
mapping and wire formats, against the loopback fake server (plain pytest + asyncio.run)."""

from __future__ import annotations

import asyncio
import inspect
import tarfile

import numpy as np
import pytest
from client_fake import Reply, problem

from world2vec_client import (
    AsyncClient,
    AsyncCollection,
    BadRequest,
    Client,
    Collection,
    Conflict,
    ConnectionFailed,
    Forbidden,
    InsufficientStorage,
    JobFailed,
    NotFound,
    PayloadTooLarge,
    ServerError,
    ServiceUnavailable,
    Timeout,
    Unauthorized,
    World2vecError,
)

HEALTH = {"status": "ok", "model": "default", "dim": 4, "items": 0}


def run(coro):
    return asyncio.run(coro)


def recorder(sleeps):
    async def sleep(seconds):
        sleeps.append(seconds)
    return sleep


def public(cls) -> dict[str, inspect.Signature]:
    return {n: inspect.signature(getattr(cls, n)) for n in dir(cls)
            if not n.startswith("_") and callable(getattr(cls, n))}


@pytest.mark.parametrize("sync,aio", [(Client, AsyncClient), (Collection, AsyncCollection)])
def test_async_surface_is_the_sync_surface(sync, aio):
    s, a = public(sync), public(aio)
    assert set(s) == set(a)
    assert {"create_collection", "collections", "scroll", "count", "search_batch", "wait",
            "download_snapshot", "teach", "train"} <= set(public(Client))
    for name in s:
        params = [(p.name, p.kind, p.default) for p in s[name].parameters.values()]
        assert params == [(p.name, p.kind, p.default) for p in a[name].parameters.values()], name


def test_collections_and_data_operations(fake, service):
    async def main():
        async with AsyncClient(fake.url) as c:
            notes = c.create_collection("notes")  # an awaitable, not yet sent
            assert fake.seen == []
            notes = await notes
            assert isinstance(notes, AsyncCollection) and c.collection("x").name == "x"
            assert await notes.add([{"id": f"p{i:02d}", "text": f"pet {i}", "tags": ["pets"],
                                     "payload": {"n": i}} for i in range(12)])
            assert await notes.count() == 12 and await c.count() == 0
            page = await notes.scroll(limit=5)
            assert len(page) == 5 and page.next_cursor == "p04"
            ids = [item.id async for item in notes.iter_items(page_size=5)]
            assert ids == [f"p{i:02d}" for i in range(12)]
            found = await notes.get_many(["p01", "zz"])
            assert [i.id for i in found] == ["p01"] and found.missing == ["zz"]
            assert (await notes.patch("p01", {"extra": True})).payload == {"n": 1, "extra": True}
            assert await notes.delete_many(filter={"payload": {"n": {"gte": 10}}}) == 2
            assert await notes.delete("p00") is True
            assert await notes.delete("p00", missing_ok=True) is False
            hits = await notes.search("pet 3", k=2, with_vectors=True)
            assert hits.ids[0] == "p03" and hits[0].vector.shape == (8,)
            batches = await notes.search_batch(["pet 5", {"text": "pet 6"}], k=1)
            assert [b.ids for b in batches] == [["p05"], ["p06"]]
            assert (await notes.qa("pet 7", k=1))[0].id == "p07"
            info = await notes.info()
            assert info.items == 9 and info.bytes == 4 * 8 * 9
            assert [i.name for i in await c.collections()] == ["default", "notes"]
            assert await c.delete_collection("notes") is True
            assert await c.add([]) == []  # nothing to send, still awaitable
        return c
    c = run(main())
    assert c._t._http.is_closed
    paths = {r.path for r in fake.seen}
    assert {"/collections/notes/memories/scroll", "/collections/notes/memories/get",
            "/collections/notes/memories/p01", "/memories/count"} <= paths


def test_errors_from_the_service(fake, service):
    async def main():
        async with AsyncClient(fake.url) as c:
            await c.create_collection("notes")
            with pytest.raises(Conflict, match="exists"):
                await c.create_collection("notes")
            with pytest.raises(BadRequest, match="must match"):
                await c.create_collection("No")
            with pytest.raises(NotFound, match="no collection named 'ghost'"):
                await c.collection("ghost").count()
            service.disk_full = True
            with pytest.raises(InsufficientStorage) as info:
                await c.collection("notes").add([{"id": "a", "text": "x"}])
            assert info.value.status == 507
    run(main())
    assert sum(r.path == "/collections/notes/memories" for r in fake.seen) == 1


def test_snapshots_relations_models_and_wait(fake, service, tmp_path, sleeps):
    async def main():
        async with AsyncClient(fake.url, sleep=recorder(sleeps)) as c:
            await c.add([{"id": "a", "text": "a cat"}])
            snap = await c.create_snapshot()
            assert [s.name for s in await c.snapshots()] == [snap.name]
            path = await c.download_snapshot(snap.name, tmp_path)
            with tarfile.open(path) as tar:
                assert "default.jsonl" in tar.getnames()
            assert (await c.transform("capital", "japan", k=2)).ids[0] == "capital-of-japan-0"
            assert (await c.teach("plural", [("a", "as"), ("b", "bs"), ("c", "cs")])).pairs == 3
            assert [r.name for r in await c.relations()] == ["capital", "plural"]
            await c.forget("plural")
            job = await c.train("news", texts=["new words"])
            done = await c.wait(job, poll=0.25)
            assert done.state == "done" and done.result["gate"]["passed"]
            with pytest.raises(JobFailed):
                await c.wait(await c.train("bad"), poll=0.25)
            assert (await c.wait(await c.activate("news"), poll=0)).state == "done"
            assert (await c.models()).active == "news"
            return path
    assert run(main()) == tmp_path / "snap-1.tar"
    assert sleeps == [0.25] * 4 + [0, 0]  # each job polled three times: two pauses


def test_add_many_isolates_bad_items(fake, service):
    items = [{"id": f"i{k}", "text": f"item {k}"} for k in range(10)]
    items[3] = {"id": "i3"}  # neither text nor vector: the batch is refused as a whole
    seen = []

    async def main():
        async with AsyncClient(fake.url) as c:
            report = await c.add_many(items, batch_size=4, progress=lambda d, t: seen.append(d))
            assert await c.count() == 9
            return report
    report = run(main())
    assert [(f.position, f.id) for f in report.failures] == [(3, "i3")]
    assert report.added == 9 and seen == [4, 8, 10]
    with pytest.raises(ValueError, match="batch_size"):
        run(AsyncClient(fake.url).add_many(items, batch_size=0))


def test_concurrent_requests_share_the_client(fake, service):
    async def main():
        async with AsyncClient(fake.url) as c:
            await c.add([{"id": f"w{i}", "text": f"word{i}"} for i in range(6)])
            return await asyncio.gather(*(c.search(f"word{i}", k=1) for i in range(6)))
    assert [h.ids for h in run(main())] == [[f"w{i}"] for i in range(6)]


def flaky(statuses, then):
    queue = list(statuses)

    def handle(req):
        if queue:
            status = queue.pop(0)
            return problem(status, "Unavailable", f"try again ({status})")
        return then
    return handle


@pytest.mark.parametrize("status", [502, 503, 504])
def test_reads_are_retried_with_backoff(fake, sleeps, status):
    fake.handler = flaky([status, status], Reply(200, HEALTH))
    health = run(AsyncClient(fake.url, backoff=0.5, sleep=recorder(sleeps)).health())
    assert health.ok and len(fake.seen) == 3
    assert len(sleeps) == 2 and 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


def test_retry_after_and_giving_up(fake, sleeps):
    fake.handler = lambda req: Reply(503, {"status": 503, "title": "busy", "detail": "later"},
                                     "application/problem+json", headers={"Retry-After": "2"})
    with pytest.raises(ServiceUnavailable, match="later"):
        run(AsyncClient(fake.url, retries=2, sleep=recorder(sleeps)).count())
    assert sleeps == [2.0, 2.0] and len(fake.seen) == 3


def test_writes_that_could_double_are_not_resent(fake, sleeps):
    fake.handler = flaky([503], Reply(201, {"name": "n", "dim": 4, "metric": "cosine",
                                            "model": "default", "items": 0}))
    with pytest.raises(ServiceUnavailable):
        run(AsyncClient(fake.url, sleep=recorder(sleeps)).create_collection("n"))
    fake.handler = flaky([503], Reply(200, {"ids": ["srv-1"]}))
    with pytest.raises(ServiceUnavailable):
        run(AsyncClient(fake.url, sleep=recorder(sleeps)).add([{"text": "no id"}]))
    assert len(fake.seen) == 2 and sleeps == []


def test_broken_connection_resends_only_what_is_safe(fake, sleeps):
    left = [1]

    def drop_once(then):
        def handle(req):
            if left[0]:
                left[0] -= 1
                return Reply(drop=True)
            return then
        return handle
    fake.handler = drop_once(Reply(200, {"ids": ["x"]}))
    with pytest.raises(ConnectionFailed) as info:
        run(AsyncClient(fake.url, sleep=recorder(sleeps)).add([{"text": "stored twice?"}]))
    assert info.value.maybe_applied is True and "broke" in str(info.value) and len(fake.seen) == 1
    left[0] = 1
    assert run(AsyncClient(fake.url, sleep=recorder(sleeps)).add([{"id": "x", "text": "t"}])) \
        == ["x"]
    assert len(fake.seen) == 3


def test_refused_connection_is_retried_then_reported(closed_port, sleeps):
    c = AsyncClient(f"http://127.0.0.1:{closed_port}", retries=2, sleep=recorder(sleeps))
    with pytest.raises(ConnectionFailed) as info:
        run(c.create_collection("never-sent"))  # nothing reached a server: safe to resend
    assert len(sleeps) == 2 and info.value.maybe_applied is False
    assert "is the service running" in str(info.value)


def test_slow_answer_times_out_and_is_not_resent(fake, sleeps):
    fake.handler = lambda req: Reply(200, HEALTH, delay=5)
    with pytest.raises(Timeout, match="0.3"):
        run(AsyncClient(fake.url, timeout=(10, 0.3), sleep=recorder(sleeps)).health())
    assert len(fake.seen) == 1 and sleeps == []
    assert AsyncClient("http://127.0.0.1:9")._t.timeout == 10


@pytest.mark.parametrize("status,cls", [(400, BadRequest), (401, Unauthorized), (403, Forbidden),
                                        (404, NotFound), (409, Conflict), (413, PayloadTooLarge),
                                        (507, InsufficientStorage), (500, ServerError)])
def test_error_mapping_carries_the_detail(fake, sleeps, status, cls):
    fake.handler = lambda req: problem(status, "Nope", f"the server's own words {status}")
    with pytest.raises(cls) as info:
        run(AsyncClient(fake.url, sleep=recorder(sleeps)).similar("cat"))
    assert info.value.status == status and info.value.detail == f"the server's own words {status}"
    assert len(fake.seen) == 1 and sleeps == []


def test_non_problem_error_page_still_says_something(fake):
    fake.handler = lambda req: Reply(502, b"<html>bad gateway from proxy</html>", "text/html")
    with pytest.raises(World2vecError, match="bad gateway from proxy"):
        run(AsyncClient(fake.url, retries=0).health())


def test_msgpack_and_key_headers(fake):
    rows = np.arange(6, dtype="<f4").reshape(2, 3)

    def handle(req):
        if req.path == "/encode":
            return Reply(200, {"vectors": rows.tobytes(), "dim": 3}, "application/msgpack")
        return Reply(200, {"ids": ["v"]}, "application/msgpack")
    fake.handler = handle

    async def main():
        async with AsyncClient(fake.url, api_key="s3cret", format="msgpack") as c:
            return await c.encode(["a", "b"]), await c.add([{"id": "v", "vector": rows[1]}])
    out, ids = run(main())
    np.testing.assert_array_equal(out, rows)
    assert ids == ["v"] and fake.seen[0].headers["authorization"] == "Bearer s3cret"
    sent = fake.seen[1].msgpack()["items"][0]["vector"]
    assert fake.seen[1].headers["content-type"] == "application/msgpack"
    np.testing.assert_array_equal(np.frombuffer(sent, "<f4"), rows[1])


def test_bad_settings_are_refused_clearly():
    with pytest.raises(ValueError, match="http://"):
        AsyncClient("localhost:8000")
    with pytest.raises(ValueError, match="format"):
        AsyncClient("http://127.0.0.1:8000", format="xml")
