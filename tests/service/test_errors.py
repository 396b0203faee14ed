"""Bad input gets the right 4xx as application/problem+json - never a 500, never a traceback."""

from __future__ import annotations

import json
import math
import struct

import msgpack
import pytest
import requests

PROBLEM = "application/problem+json"


def assert_problem(resp: requests.Response, status: int, slug: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"].startswith("http")
    assert "Traceback" not in resp.text
    if slug is not None:
        assert body["type"].endswith("/" + slug), body
    return body


GET_CASES = [
    ("/similar", {}, "missing-parameter", None),
    ("/similar", {"concept": "cat", "text": "a cat"}, "bad-request", None),
    ("/similar", {"concept": "cat", "k": "ten"}, "bad-request", "k"),
    ("/similar", {"concept": "cat", "k": "0"}, "out-of-range", "k"),
    ("/similar", {"concept": "cat", "k": "1001"}, "out-of-range", "k"),
    ("/similar", {"concept": "cat", "k": "99999999999999999999999"}, "bad-request", "k"),
    ("/similar", {"concept": "cat", "k": "2.5"}, "bad-request", "k"),
    ("/similar", {"concept": "cat", "project": "maybe"}, "bad-request", "project"),
    ("/similar", {"concept": "cat", "filter": "{not json"}, "bad-request", "filter"),
    ("/similar", {"concept": "cat", "filter": "[1, 2]"}, "bad-request", "filter"),
    ("/similar", {"concept": "cat", "filter": '{"kind": 5}'}, "bad-filter", "filter"),
    ("/similar", {"id": "any", "filter": '{"tags": {"all": "pets"}}'}, "bad-filter", "filter"),
    ("/compose", {}, "missing-parameter", "expr"),
    ("/compose", {"expr": "king * queen"}, "bad-expression", "expr"),
    ("/compose", {"expr": "(king - man"}, "bad-expression", "expr"),
    ("/compose", {"expr": "king + 2"}, "bad-expression", "expr"),
    ("/compose", {"expr": "__import__('os')"}, "bad-expression", "expr"),
    ("/analogy", {"a": "man", "b": "king"}, "missing-parameter", "c"),
    ("/analogy", {"a": "man", "b": "king", "c": "woman", "method": "div"}, "bad-request",
     "method"),
]


@pytest.mark.parametrize("path,params,slug,param", GET_CASES)
def test_bad_query_parameters_are_400(url, path, params, slug, param):
    body = assert_problem(requests.get(url + path, params=params, timeout=10), 400, slug)
    if param:
        assert body.get("param") == param


POST_CASES = [
    ("/search", {}, "missing-parameter"),
    ("/search", {"text": "cat", "k": "10"}, "bad-request"),
    ("/search", {"text": "cat", "k": True}, "bad-request"),
    ("/search", {"text": "cat", "k": 2.5}, "bad-request"),
    ("/search", {"text": "cat", "k": 5000}, "out-of-range"),
    ("/search", {"text": "cat", "filter": "kind=fact"}, "bad-request"),
    ("/search", {"text": "cat", "filter": {"tags": {"all": [5]}}}, "bad-filter"),
    ("/search", {"text": "cat", "filter": {"tags": {"all": "pets"}}}, "bad-filter"),
    ("/search", {"text": "cat", "filter": {"colour": "red"}}, "bad-filter"),
    ("/search", {"vector": [1.0] * 31}, "wrong-dimension"),
    ("/search", {"vector": [1.0] * 33}, "wrong-dimension"),
    ("/search", {"vector": "1,2,3"}, "bad-request"),
    ("/search", {"vector": [0.0] * 32}, "bad-request"),
    ("/search", {"vector": [1e39] + [0.0] * 31}, "bad-request"),
    ("/search", {"text": "cat", "tex": "typo"}, "unknown-field"),
    ("/qa", {}, "missing-parameter"),
    ("/qa", {"question": ["what?"]}, "bad-request"),
    ("/qa", {"question": "what is a cat?", "hops": 11}, "out-of-range"),
    ("/qa", {"question": "what is a cat?", "hops": "2"}, "bad-request"),
    ("/qa", {"question": "what is a cat?", "k": 0}, "out-of-range"),
    ("/filter", {"items": ["a cat"]}, "missing-parameter"),
    ("/filter", {"items": "a cat", "allow": ["cat"]}, "bad-request"),
    ("/filter", {"items": ["a cat"], "allow": "cat"}, "bad-request"),
    ("/filter", {"items": ["a cat"], "allow": ["cat"], "threshold": "high"}, "bad-request"),
    ("/filter", {"items": ["a cat"], "allow": ["cat"], "threshold": 2}, "bad-request"),
    ("/encode", {}, "missing-parameter"),
    ("/encode", {"concepts": "cat"}, "bad-request"),
    ("/encode", {"concepts": ["cat"], "texts": ["a cat"]}, "bad-request"),
    ("/encode", {"concepts": [1, 2]}, "bad-request"),
    ("/encode", {"concepts": ["cat"] * 10_001}, "batch-too-large"),
    ("/memories", {}, "missing-parameter"),
    ("/memories", {"items": {"id": "x"}}, "bad-request"),
    ("/memories", {"items": []}, "bad-request"),
    ("/memories", {"items": [{"id": "x"}]}, "invalid-item"),
    ("/memories", {"items": [{"id": "x", "text": "cat", "tags": "pets"}]}, "invalid-item"),
    ("/memories", {"items": [{"id": "x", "text": "cat", "tag": ["pets"]}]}, "invalid-item"),
    ("/memories", {"items": [{"id": "x", "vector": [1.0] * 33}]}, "wrong-dimension"),
    ("/memories", {"items": [{"id": 5, "text": "cat"}]}, "invalid-item"),
    ("/memories", {"items": [{"text": "cat"}], "upsert": "yes"}, "bad-request"),
]


@pytest.mark.parametrize("path,body,slug", POST_CASES,
                         ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(POST_CASES)])
def test_bad_bodies_are_400(url, auth, path, body, slug):
    resp = requests.post(url + path, json=body, headers=auth, timeout=10)
    assert_problem(resp, 400, slug)


def test_a_bad_item_names_its_position_and_nothing_is_written(url, auth):
    items = [{"id": "ok-1", "text": "a cat"}, {"id": "bad-2", "vector": [1.0] * 5}]
    body = assert_problem(requests.post(url + "/memories", json={"items": items}, headers=auth,
                                        timeout=10), 400, "wrong-dimension")
    assert body["position"] == 1
    assert requests.get(url + "/memories/ok-1", timeout=10).status_code == 404


@pytest.mark.parametrize("raw", [b'{"vector": [NaN]}', b'{"vector": [Infinity, 1]}',
                                 b'{"text": "cat", "k": -Infinity}'])
def test_non_finite_json_numbers_are_400(url, raw):
    resp = requests.post(url + "/search", data=raw, headers={"Content-Type": "application/json"},
                         timeout=10)
    assert_problem(resp, 400, "non-finite-number")


def test_nan_vectors_in_msgpack_are_400_as_floats_and_as_raw_float32(url, auth):
    as_floats = msgpack.packb({"vector": [math.nan] + [1.0] * 31})
    resp = requests.post(url + "/search", data=as_floats,
                         headers={"Content-Type": "application/msgpack"}, timeout=10)
    assert_problem(resp, 400, "non-finite-number")
    raw = struct.pack("<32f", float("nan"), *([1.0] * 31))
    resp = requests.post(url + "/search", data=msgpack.packb({"vector": raw}),
                         headers={"Content-Type": "application/msgpack"}, timeout=10)
    assert_problem(resp, 400, "non-finite-number")
    item = msgpack.packb({"items": [{"id": "nan-item", "vector": raw}]})
    resp = requests.post(url + "/memories", data=item, timeout=10,
                         headers={"Content-Type": "application/msgpack", **auth})
    assert_problem(resp, 400, "invalid-item")
    resp = requests.post(url + "/search", data=msgpack.packb({"vector": b"\x00\x00\x80"}),
                         headers={"Content-Type": "application/msgpack"}, timeout=10)
    assert_problem(resp, 400)


@pytest.mark.parametrize("ctype,raw", [
    ("application/json", b'{"text": "cat",'),
    ("application/json", b"\xff\xfe"),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'"just a string"'),
    ("application/msgpack", b"\xc1"),
    ("application/msgpack", msgpack.packb({"text": "cat"})[:-2]),
    ("application/msgpack", msgpack.packb([1, 2])),
    ("application/msgpack", msgpack.packb({"text": "cat"}) + b"\x01"),
])
def test_malformed_bodies_are_400(url, ctype, raw):
    resp = requests.post(url + "/search", data=raw, headers={"Content-Type": ctype}, timeout=10)
    assert_problem(resp, 400, "malformed-body")


def test_unsupported_content_type_is_415(url):
    resp = requests.post(url + "/search", data=b"<text>cat</text>",
                         headers={"Content-Type": "application/xml"}, timeout=10)
    assert_problem(resp, 415)


def test_a_json_body_sent_the_way_curl_d_sends_it_is_read_as_json(url):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    resp = requests.post(url + "/search", data=b'{"text": "a cat", "k": 1}', headers=form,
                         timeout=10)
    assert resp.status_code == 200 and len(resp.json()["results"]) <= 1
    assert_problem(requests.post(url + "/search", data=b"text=cat", headers=form, timeout=10),
                   400, "malformed-body")


@pytest.mark.parametrize("path,params,name", [
    ("/compose", {"expr": "king - mann + woman"}, "mann"),
    ("/analogy", {"a": "man", "b": "kingg", "c": "woman"}, "kingg"),
])
def test_unknown_concepts_are_404_naming_them_with_suggestions(url, path, params, name):
    body = assert_problem(requests.get(url + path, params=params, timeout=10), 404,
                          "unknown-concept")
    assert body["concept"] == name and name in body["detail"]
    assert body["suggestions"] and body["suggestions"][0] in ("man", "king")


def test_unknown_ids_are_404(url, auth):
    assert_problem(requests.get(url + "/memories/no-such-id", timeout=10), 404, "unknown-id")
    assert_problem(requests.delete(url + "/memories/no-such-id", headers=auth, timeout=10), 404)
    assert_problem(requests.get(url + "/similar", params={"id": "no-such-id"}, timeout=10), 404)


def test_unknown_paths_and_methods_are_problems_too(url):
    assert_problem(requests.get(url + "/no/such/route", timeout=10), 404)
    resp = requests.put(url + "/health", timeout=10)
    assert_problem(resp, 405)
    assert "GET" in resp.headers["Allow"]
    assert_problem(requests.get(url + "/search", timeout=10), 405)


def test_oversized_body_is_413(url, auth):
    payload = b'{"items": [], "pad": "' + b"x" * (33 * 1024 * 1024) + b'"}'
    resp = requests.post(url + "/memories", data=payload, timeout=60,
                         headers={"Content-Type": "application/json", **auth})
    assert_problem(resp, 413)
    assert requests.get(url + "/health", timeout=10).status_code == 200


def test_a_batch_near_the_body_limit_is_accepted(url, auth):
    """DESIGN.md: a batch of 500 items of dim 300 fits in 32 MiB; ours is dim 32, so send
    as many float-text bytes as 500 x 300 JSON floats would take."""
    items = [{"id": f"big-{i}", "vector": [0.123456789] * 32, "text": "x" * 4000}
             for i in range(500)]
    raw = json.dumps({"items": items}).encode()
    assert len(raw) > 2_000_000
    resp = requests.post(url + "/memories", data=raw, timeout=60,
                         headers={"Content-Type": "application/json", **auth})
    assert resp.status_code == 200, resp.text
    assert resp.json()["count"] == 500


def test_writes_need_the_key_reads_do_not(url):
    item = {"items": [{"id": "auth-x", "text": "a cat"}]}
    resp = requests.post(url + "/memories", json=item, timeout=10)
    assert_problem(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(requests.post(url + "/memories", json=item, timeout=10,
                                 headers={"Authorization": "Bearer wrong"}), 403)
    assert_problem(requests.delete(url + "/memories/anything", timeout=10), 401)
    assert_problem(requests.delete(url + "/memories/anything", timeout=10,
                                   headers={"Authorization": "Basic dXNlcjpwdw=="}), 401)
    assert requests.get(url + "/memories/auth-x", timeout=10).status_code == 404  # not written
    assert requests.post(url + "/search", json={"text": "a cat"}, timeout=10).status_code == 200
    assert requests.post(url + "/encode", json={"texts": ["a cat"]}, timeout=10).status_code == 200
    assert requests.post(url + "/filter", json={"items": ["a cat"], "allow": ["cat"]},
                         timeout=10).status_code == 200


def _chunks(*parts: bytes, repeat: int = 1):
    head, middle, tail = parts
    yield head
    for _ in range(repeat):
        yield middle
    yield tail


def test_chunked_bodies_are_read_whole_and_refused_past_the_limit(url, auth):
    """A body without Content-Length (chunked) gets the same treatment: read, or 413."""
    ok = requests.post(url + "/search", data=_chunks(b'{"text": ', b'"a cat"', b', "k": 2}'),
                       headers={"Content-Type": "application/json"}, timeout=30)
    assert ok.status_code == 200 and len(ok.json()["results"]) <= 2
    big = _chunks(b'{"items": [], "pad": "', b"x" * (1 << 20), b'"}', repeat=33)
    assert_problem(requests.post(url + "/memories", data=big, timeout=60,
                                 headers={"Content-Type": "application/json", **auth}), 413)
