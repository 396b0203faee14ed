"""The OpenAPI document: it matches the registered routes, its limits and keys are the
running server's, and a fuzzer driven by it finds no 500 and no request that the
document allows but the server refuses."""

from __future__ import annotations

import json
from urllib.parse import quote

import msgpack
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from openapi_strategies import METHODS, rough_requests, valid_requests

from world2vec.service.app import close_app, create_app
from world2vec.service.config import ServiceConfig
from world2vec.service.openapi_document import flask_rule_to_openapi

# A request the document allows may still be refused for its data, not its shape: a
# concept or id the server does not know (404), an id that exists when "upsert": false
# (409), a text without one word the model knows, an expression outside its grammar (the
# parameter's description states it). These are the only refusals the "valid requests
# are accepted" fuzzer lets pass.
# Refusals that depend on what the server holds, not on the request's shape: an unknown
# concept, id, relation, collection or snapshot; a name taken; words a relation's pairs
# name that the model lacks; an item's object with no word the model knows; a
# collection without a model asked for text; an unknown model or job, a model that
# failed its gate, a job already running (one at a time), a corpus file that is not
# there or resolves (links followed) outside the data directory, a model whose sentence
# encoder has no graph.
DATA_DEPENDENT = {404: {"unknown-concept", "unknown-id", "unknown-relation", "unknown-collection",
                        "unknown-snapshot", "unknown-object", "unknown-model", "unknown-job",
                        "no-graph"},
                  409: {"item-exists", "relation-exists", "model-relation", "collection-exists",
                        "collection-in-use", "model-exists", "job-running", "gate-failed"},
                  400: {"unencodable-text", "unencodable-object", "bad-expression",
                        "unknown-words", "too-few-pairs", "no-model", "wrong-dimension",
                        "missing-corpus", "path-outside-data"}}


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
                assert op.get("summary") and any(code.startswith("2") for code in op["responses"]), \
                    (path, method)


def _schemas(node):
    """Every schema in the document (request bodies and parameters)."""
    if isinstance(node, dict):
        if "schema" in node and isinstance(node["schema"], dict):
            yield node["schema"]
        for value in node.values():
            yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def test_every_schema_is_valid_json_schema(client):
    doc = client.get("/openapi.json").get_json()
    schemas = list(_schemas(doc["paths"]))
    assert len(schemas) > 30
    for schema in schemas:
        Draft202012Validator.check_schema(schema)


@pytest.fixture(scope="module")
def tuned_app(model_dir, tmp_path_factory):
    app = create_app(ServiceConfig(model=model_dir, max_k=50, max_hops=3, max_batch=7,
                                   api_key="w", read_key="r",
                                   data=str(tmp_path_factory.mktemp("tuned-data"))))
    yield app
    close_app(app)


def test_limits_and_keys_come_from_the_running_configuration(tuned_app, client):
    doc = tuned_app.test_client().get("/openapi.json").get_json()
    paths = doc["paths"]
    k = next(p for p in paths["/similar"]["get"]["parameters"] if p["name"] == "k")["schema"]
    assert k["maximum"] == 50 and k["x-world2vec-limit"] == "WORLD2VEC_MAX_K"
    qa = paths["/qa"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert qa["properties"]["hops"]["maximum"] == 3 and qa["properties"]["k"]["maximum"] == 50
    encode = paths["/encode"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert encode["properties"]["texts"]["maxItems"] == 7
    search = paths["/search"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert search["properties"]["vector"]["minItems"] == search["properties"]["vector"][
        "maxItems"] == 32
    # The same requests are refused past those limits, accepted within them.
    c = tuned_app.test_client()
    read = {"Authorization": "Bearer r"}
    assert c.get("/similar?concept=cat&k=50", headers=read).status_code == 200
    assert c.get("/similar?concept=cat&k=51", headers=read).status_code == 400
    assert c.post("/encode", json={"texts": ["a cat"] * 8}, headers=read).status_code == 400
    # Access: open, read and write operations, each with the key this server wants.
    assert paths["/health"]["get"]["x-world2vec-access"] == "open"
    assert paths["/health"]["get"]["security"] == []
    assert paths["/search"]["post"]["x-world2vec-access"] == "read"
    assert paths["/search"]["post"]["security"] == [{"bearer": []}]
    assert paths["/memories"]["post"]["x-world2vec-access"] == "write"
    assert paths["/memories"]["post"]["security"] == [{"bearer": []}]
    # The session's app has a write key only: reads need none there.
    default = client.get("/openapi.json").get_json()["paths"]
    assert default["/search"]["post"]["security"] == []
    assert default["/memories"]["post"]["security"] == [{"bearer": []}]
    qa_default = default["/qa"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert qa_default["properties"]["hops"]["maximum"] == 10


@pytest.fixture(scope="module")
def document(url):
    return requests.get(url + "/openapi.json", timeout=10).json()


def send(url: str, req: dict, auth: dict) -> requests.Response:
    path = req["path"]
    for name, value in req["path_params"].items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
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
    return requests.request(req["method"], url + path, params=req["query"], data=data,
                            headers=headers, timeout=30)


def problem_slug(resp: requests.Response) -> str:
    return resp.json()["type"].rsplit("/", 1)[-1]


def test_fuzzing_every_operation_finds_no_server_error(url, document, auth):
    seen: set[str] = set()

    @settings(max_examples=400, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(rough_requests(document))
    def check(req):
        resp = send(url, req, auth)
        seen.add(f"{req['method']} {req['path']}")
        assert resp.status_code < 500, (req, resp.text)
        if resp.status_code >= 400:
            assert resp.headers["Content-Type"].startswith("application/problem+json"), req
            assert set(resp.json()) >= {"type", "title", "status", "detail"}

    check()
    assert len(seen) >= 15  # the fuzzer reached (nearly) every operation


def test_requests_the_document_allows_are_accepted(url, document, auth):
    seen: dict[str, int] = {}

    @settings(max_examples=500, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(valid_requests(document))
    def check(req):
        resp = send(url, req, auth)
        op = f"{req['method']} {req['path']}"
        if resp.status_code < 400:
            seen[op] = seen.get(op, 0) + 1
            return
        assert resp.status_code in DATA_DEPENDENT, (req, resp.text)
        assert problem_slug(resp) in DATA_DEPENDENT[resp.status_code], (req, resp.text)

    check()
    # Most operations answered a valid request with success at least once (not only
    # "unknown concept"): the generated requests are not all refused for their data.
    assert len(seen) >= 10, seen
