"""The OpenAPI document matches the registered routes, and a fuzzer driven by it finds no 500."""

from __future__ import annotations

import json
import string

import msgpack
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from world2vec.service.openapi import flask_rule_to_openapi

METHODS = {"get", "post", "put", "patch", "delete"}


def test_document_lists_exactly_the_registered_routes(app, client):
    registered = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            registered.add((flask_rule_to_openapi(rule.rule), method.lower()))
    doc = client.get("/openapi.json").get_json()
    documented = {(path, method) for path, ops in doc["paths"].items()
                  for method in ops if method in METHODS}
    assert documented == registered
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method in METHODS:
                assert op.get("summary") and {"200", "201"} & set(op["responses"]), (path, method)


# -- a small JSON-schema -> hypothesis translation, enough for our document ------------

WORDS = ["cat", "king", "man", "woman", "queen", "paris", "dog", "war", "football", "kittycat",
         "", " ", "k", "é", "null", "1"]
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
any_json = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)


def from_schema(schema: dict, depth: int = 0) -> st.SearchStrategy:
    """Values that follow ``schema`` most of the time, and anything JSON now and then."""
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": t}, depth) for t in kind])
    if "enum" in schema:
        good = st.sampled_from(schema["enum"])
    elif kind == "string":
        good = st.sampled_from(WORDS) | st.text(max_size=20)
    elif kind == "integer":
        lo, hi = schema.get("minimum", -10), schema.get("maximum", 10_000)
        good = st.integers(lo, hi) | st.integers(lo - 3, hi + 3) | st.integers()
    elif kind == "number":
        good = st.floats(allow_nan=False, allow_infinity=False) | st.floats(-2, 2)
    elif kind == "boolean":
        good = st.booleans()
    elif kind == "null":
        good = st.none()
    elif kind == "array":
        good = st.lists(from_schema(schema.get("items", {}), depth + 1), max_size=6)
    elif kind == "object" and schema.get("properties") and depth < 4:
        props = {name: from_schema(sub, depth + 1) for name, sub in schema["properties"].items()}
        required = set(schema.get("required", []))
        good = st.fixed_dictionaries({n: s for n, s in props.items() if n in required},
                                     optional={n: s for n, s in props.items()
                                               if n not in required})
    else:
        good = any_json
    return st.one_of(good, good, good, any_json) if depth else good


def query_value(schema: dict) -> st.SearchStrategy:
    def to_text(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)
    return from_schema(schema).map(to_text) | st.text(string.printable, max_size=15)


def operation_requests(doc: dict):
    ops = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in METHODS or path in ("/", "/static/{name}"):
                continue
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            query = {p["name"]: query_value(p["schema"]) for p in params if p["in"] == "query"}
            path_params = {p["name"]: st.text(string.ascii_letters + string.digits + "-_%.",
                                              min_size=1, max_size=12)
                           for p in params if p["in"] == "path"}
            body = None
            if "requestBody" in op:
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                body = from_schema(schema) | any_json
            ops.append(st.fixed_dictionaries({
                "method": st.just(method.upper()), "path": st.just(path),
                "query": st.fixed_dictionaries({}, optional=query),
                "path_params": st.fixed_dictionaries(path_params),
                "body": body if body is not None else st.none(),
                "auth": st.sampled_from([None, "good", "bad"]),
                "fmt": st.sampled_from(["json", "msgpack"]),
            }))
    return st.one_of(ops)


@pytest.fixture(scope="module")
def document(url):
    return requests.get(url + "/openapi.json", timeout=10).json()


def test_fuzzing_every_operation_finds_no_server_error(url, document, auth):
    seen: set[str] = set()

    @settings(max_examples=400, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(operation_requests(document))
    def check(req):
        path = req["path"]
        for name, value in req["path_params"].items():
            path = path.replace("{" + name + "}", value)
        headers = {}
        if req["auth"] == "good":
            headers.update(auth)
        elif req["auth"] == "bad":
            headers["Authorization"] = "Bearer nope"
        data = None
        if req["fmt"] == "msgpack":
            headers["Accept"] = "application/msgpack"
        if req["body"] is not None or req["method"] == "POST":
            try:
                packed = msgpack.packb(req["body"]) if req["fmt"] == "msgpack" else None
            except OverflowError:  # an integer msgpack cannot carry: send it as JSON
                packed = None
            if packed is not None:
                headers["Content-Type"] = "application/msgpack"
                data = packed
            else:
                headers["Content-Type"] = "application/json"
                data = json.dumps(req["body"])
        resp = requests.request(req["method"], url + path, params=req["query"], data=data,
                                headers=headers, timeout=30)
        seen.add(f"{req['method']} {req['path']}")
        assert resp.status_code < 500, (req, resp.text)
        if resp.status_code >= 400:
            assert resp.headers["Content-Type"].startswith("application/problem+json"), req
            assert set(resp.json()) >= {"type", "title", "status", "detail"}

    check()
    assert len(seen) >= 12  # the fuzzer reached (nearly) every operation
