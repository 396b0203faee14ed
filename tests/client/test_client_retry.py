"""Retry, backoff, timeout and error mapping, against a real loopback HTTP server."""

from __future__ import annotations

import pytest
from client_fake import Reply, problem

from world2vec_client import (
    BadRequest,
    Client,
    Conflict,
    ConnectionFailed,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    RetryPolicy,
    ServerError,
    ServiceUnavailable,
    Timeout,
    Unauthorized,
    World2vecError,
)

HEALTH = {"status": "ok", "model": "default", "dim": 4, "items": 0}


def flaky(statuses: list[int], then: Reply):
    """A handler answering the given error statuses in turn, then ``then``."""
    queue = list(statuses)

    def handle(req):
        if queue:
            status = queue.pop(0)
            return problem(status, "Service Unavailable", f"try again ({status})")
        return then
    return handle


@pytest.mark.parametrize("status", [502, 503, 504])
def test_read_retried_through_gateway_errors(fake, sleeps, status):
    fake.handler = flaky([status, status], Reply(200, HEALTH))
    with Client(fake.url, sleep=sleeps.append) as c:
        health = c.health()
    assert health.ok and health.dim == 4
    assert len(fake.seen) == 3
    assert len(sleeps) == 2


def test_backoff_grows_exponentially_with_jitter_and_gives_up(fake, sleeps):
    fake.handler = flaky([503] * 10, Reply(200, HEALTH))
    c = Client(fake.url, retries=4, backoff=0.5, backoff_max=3.0, sleep=sleeps.append)
    with pytest.raises(ServiceUnavailable) as info:
        c.health()
    assert "try again (503)" in str(info.value) and info.value.status == 503
    assert len(fake.seen) == 5  # the first try and four retries
    caps = [0.5, 1.0, 2.0, 3.0]  # 0.5 * 2**n, capped at backoff_max
    assert len(sleeps) == 4
    for slept, cap in zip(sleeps, caps):
        assert cap / 2 <= slept <= cap


def test_retry_after_header_is_honoured_up_to_the_cap(fake, sleeps):
    fake.handler = flaky([503], Reply(200, HEALTH))
    original = fake.handler

    def with_header(req):
        reply = original(req)
        if reply.status == 503:
            reply.headers["Retry-After"] = "2"
        return reply
    fake.handler = with_header
    Client(fake.url, sleep=sleeps.append).health()
    assert sleeps == [2.0]


@pytest.mark.parametrize("status,cls", [(400, BadRequest), (401, Unauthorized), (403, Forbidden),
                                        (404, NotFound), (409, Conflict),
                                        (413, PayloadTooLarge)])
def test_client_errors_are_never_retried_and_carry_the_detail(fake, sleeps, status, cls):
    fake.handler = lambda req: problem(status, "Nope", f"the server's own words {status}")
    with pytest.raises(cls) as info:
        Client(fake.url, sleep=sleeps.append).similar("cat")
    err = info.value
    assert err.status == status and err.detail == f"the server's own words {status}"
    assert err.title == "Nope" and err.problem["status"] == status
    assert len(fake.seen) == 1 and sleeps == []


def test_500_is_a_server_error_and_not_retried(fake, sleeps):
    fake.handler = lambda req: problem(500, "Internal Server Error", "boom")
    with pytest.raises(ServerError) as info:
        Client(fake.url, sleep=sleeps.append).health()
    assert info.value.status == 500 and len(fake.seen) == 1


def test_error_without_problem_json_still_says_something(fake, sleeps):
    fake.handler = lambda req: Reply(502, b"<html>bad gateway from proxy</html>", "text/html")
    with pytest.raises(World2vecError) as info:
        Client(fake.url, retries=0, sleep=sleeps.append).health()
    assert info.value.status == 502 and "bad gateway from proxy" in str(info.value)


def test_add_without_ids_is_not_resent_after_a_503(fake, sleeps):
    fake.handler = flaky([503], Reply(200, {"ids": ["a1"]}))
    with pytest.raises(ServiceUnavailable):
        Client(fake.url, sleep=sleeps.append).add([{"text": "a cat sat"}])
    assert len(fake.seen) == 1 and sleeps == []


def test_strict_add_with_ids_is_not_resent_either(fake, sleeps):
    # an add of an id that the first try stored would now fail with 409
    fake.handler = flaky([503], Reply(200, {"ids": ["x"]}))
    with pytest.raises(ServiceUnavailable):
        Client(fake.url, sleep=sleeps.append).add([{"id": "x", "text": "a cat sat"}],
                                                  upsert=False)
    assert len(fake.seen) == 1 and fake.seen[0].json()["upsert"] is False


def test_add_with_ids_upserts_and_is_resent(fake, sleeps):
    fake.handler = flaky([503, 502], Reply(200, {"ids": ["x", "y"]}))
    ids = Client(fake.url, sleep=sleeps.append).add([{"id": "x", "text": "a"},
                                                     {"id": "y", "text": "b"}])
    assert ids == ["x", "y"] and len(fake.seen) == 3
    assert all(r.json()["upsert"] is True for r in fake.seen)


def test_upsert_with_a_missing_id_is_not_resent(fake, sleeps):
    fake.handler = flaky([503], Reply(200, {"ids": ["x", "new"]}))
    with pytest.raises(ServiceUnavailable):
        Client(fake.url, sleep=sleeps.append).upsert([{"id": "x", "text": "a"}, {"text": "b"}])
    assert len(fake.seen) == 1


def test_delete_is_resent_and_read_only_posts_are_resent(fake, sleeps):
    fake.handler = flaky([503], Reply(200, {"deleted": "x"}))
    assert Client(fake.url, sleep=sleeps.append).delete("x") is True
    assert [r.method for r in fake.seen] == ["DELETE", "DELETE"]
    fake.seen.clear()
    fake.handler = flaky([504], Reply(200, {"results": []}))
    assert Client(fake.url, sleep=sleeps.append).search(text="cats") == []
    assert len(fake.seen) == 2


def test_delete_applied_before_a_lost_answer_is_still_a_success(fake, sleeps):
    gone = {"x": False}

    def handle(req):
        if not gone["x"]:
            gone["x"] = True  # deleted, but the answer is lost behind a 502
            return problem(502, "Bad Gateway", "upstream reset")
        return problem(404, "Not Found", "no stored memory has id 'x'")
    fake.handler = handle
    assert Client(fake.url, sleep=sleeps.append).delete("x") is True
    assert len(fake.seen) == 2
    fake.seen.clear()
    with pytest.raises(NotFound):  # a 404 on the first try is a real "not there"
        Client(fake.url, sleep=sleeps.append).delete("x")
    assert len(fake.seen) == 1


def test_refused_connection_is_retried_then_reported(closed_port, sleeps):
    c = Client(f"http://127.0.0.1:{closed_port}", retries=2, sleep=sleeps.append)
    with pytest.raises(ConnectionFailed) as info:
        c.add([{"text": "never sent"}])  # safe to retry even a plain add: nothing was sent
    assert len(sleeps) == 2
    assert info.value.maybe_applied is False
    assert "is the service running" in str(info.value)


def dropping(times: int, then: Reply):
    left = [times]

    def handle(req):
        if left[0] > 0:
            left[0] -= 1
            return Reply(drop=True)
        return then
    return handle


def test_connection_broken_mid_request_add_is_not_resent(fake, sleeps):
    fake.handler = dropping(1, Reply(200, {"ids": ["srv-1"]}))
    with pytest.raises(ConnectionFailed) as info:
        Client(fake.url, sleep=sleeps.append).add([{"text": "stored twice if resent"}])
    assert info.value.maybe_applied is True and "broke" in str(info.value)
    assert len(fake.seen) == 1 and sleeps == []


def test_connection_broken_mid_request_upsert_and_read_are_resent(fake, sleeps):
    fake.handler = dropping(1, Reply(200, {"ids": ["x"]}))
    assert Client(fake.url, sleep=sleeps.append).add([{"id": "x", "text": "same"}]) == ["x"]
    assert len(fake.seen) == 2
    fake.handler = dropping(2, Reply(200, HEALTH))
    assert Client(fake.url, sleep=sleeps.append).health().ok
    assert len(fake.seen) == 5


def test_slow_answer_times_out_and_is_not_resent(fake, sleeps):
    fake.handler = lambda req: Reply(200, HEALTH, delay=5)
    with pytest.raises(Timeout) as info:
        Client(fake.url, timeout=(10, 0.3), sleep=sleeps.append).health()
    assert len(fake.seen) == 1 and sleeps == []
    assert "0.3" in str(info.value)


def test_default_timeout_is_set():
    c = Client("http://127.0.0.1:9")
    assert c._t.timeout == 10


def test_bad_settings_are_refused_clearly():
    with pytest.raises(ValueError, match="http://"):
        Client("localhost:8000")
    with pytest.raises(ValueError, match="format"):
        Client("http://127.0.0.1:8000", format="xml")
    with pytest.raises(ValueError, match="retries"):
        RetryPolicy(retries=-1)


def test_api_key_is_sent_as_bearer(fake):
    fake.handler = lambda req: Reply(200, {"ids": ["a"]})
    Client(fake.url, api_key="s3cret").add([{"id": "a", "text": "x"}])
    assert fake.seen[0].headers["authorization"] == "Bearer s3cret"
    Client(fake.url).health()
    assert "authorization" not in fake.seen[1].headers
