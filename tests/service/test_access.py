"""Who may call what: the write key, the read key, open routes, and browser origins (CORS).

Every combination of configured keys x route class x credential sent is checked on an
app built by the factory, with the real routes and a blueprint of routes shaped like
the ones other parts of the service add later (collections, snapshots, jobs): those
are classified by the same table without being listed anywhere.

On both backends (``backend``): keys and origins are checked before the memory is
touched, so they answer the same; past the keys, the routes that need DATA's files
answer 501 with Milvus (``MILVUS_UNAVAILABLE``).
"""

from __future__ import annotations

import pytest
from flask import Blueprint
from service_backends import BACKENDS

from world2vec.service.app import MILVUS_UNAVAILABLE, close_app
from world2vec.service.auth import Access, classify

WRITE_KEY, READ_KEY = "write-key-1", "read-key-2"

later = Blueprint("later", __name__)


def _ok(**_ignored):
    return {"ok": True}


for rule, methods in [("/collections", ["GET", "POST"]), ("/collections/<name>", ["GET", "DELETE"]),
                      ("/collections/<name>/memories", ["POST"]),
                      ("/collections/<name>/memories/scroll", ["POST"]),
                      ("/collections/<name>/memories/count", ["POST"]),
                      ("/collections/<name>/memories/get", ["POST"]),
                      ("/collections/<name>/memories/delete", ["POST"]),
                      ("/collections/<name>/memories/<path:item_id>", ["PATCH"]),
                      ("/collections/<name>/search", ["POST"]),
                      ("/snapshots", ["GET", "POST"]), ("/jobs/<job_id>", ["GET"]),
                      ("/models/<name>/activate", ["POST"])]:
    later.add_url_rule(rule, endpoint=rule, view_func=_ok, methods=methods)

# (method, path, body, access it needs); a body of None sends none.
ROUTES = [
    ("GET", "/health", None, "open"),
    ("GET", "/openapi.json", None, "open"),
    ("GET", "/", None, "open"),
    ("GET", "/static/app.js", None, "open"),
    ("GET", "/similar?concept=cat", None, "read"),
    ("GET", "/metrics", None, "read"),
    ("GET", "/model/events", None, "read"),
    ("GET", "/memories/nobody", None, "read"),
    ("POST", "/search", {"concept": "cat"}, "read"),
    ("POST", "/encode", {"concepts": ["cat"]}, "read"),
    ("POST", "/qa", {"question": "what is a cat?"}, "read"),
    ("POST", "/filter", {"items": ["a cat"], "allow": ["cat"]}, "read"),
    ("GET", "/collections", None, "read"),
    ("GET", "/snapshots", None, "read"),
    ("GET", "/jobs/j1", None, "read"),
    ("POST", "/collections/notes/memories/scroll", {}, "read"),
    ("POST", "/collections/notes/memories/count", {}, "read"),
    ("POST", "/collections/notes/memories/get", {}, "read"),
    ("POST", "/collections/notes/search", {}, "read"),
    ("POST", "/memories", {"items": [{"id": "k1", "text": "a cat"}]}, "write"),
    ("DELETE", "/memories/k1", None, "write"),
    ("POST", "/collections", {}, "write"),
    ("DELETE", "/collections/notes", None, "write"),
    ("POST", "/collections/notes/memories", {}, "write"),
    ("POST", "/collections/notes/memories/delete", {}, "write"),
    ("PATCH", "/collections/notes/memories/k1", {}, "write"),
    ("POST", "/snapshots", {}, "write"),
    ("POST", "/models/m2/activate", {}, "write"),
]
CREDENTIALS = {"none": None, "basic": "Basic dXNlcjpwdw==", "wrong": "Bearer nope",
               "read": f"Bearer {READ_KEY}", "write": f"Bearer {WRITE_KEY}"}
READING_ENDS = ("search", "encode", "qa", "filter", "scroll", "count", "get")
KEYS = {"no keys": (None, None), "write key": (WRITE_KEY, None),
        "write and read keys": (WRITE_KEY, READ_KEY)}


def expected_status(access: str, keys: tuple, credential: str) -> int | None:
    """401 or 403 when refused, None when the request must get past the keys."""
    write_key, read_key = keys
    needed = {"open": False, "read": read_key is not None, "write": write_key is not None}[access]
    if not needed or credential == "write" or (credential == "read" and access == "read"
                                                 and read_key is not None):
        return None
    if credential in ("none", "basic"):
        return 401
    return 403  # a wrong key, or the read key on a write route (or where no read key is set)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="module", params=list(KEYS))
def keyed(request, model_dir, tmp_path_factory, backends, backend):
    write_key, read_key = KEYS[request.param]
    app = backends.app(backend, model_dir, str(tmp_path_factory.mktemp("keys-data")),
                       api_key=write_key, read_key=read_key)
    app.register_blueprint(later)
    yield app, KEYS[request.param]
    close_app(app)


@pytest.mark.parametrize("credential", list(CREDENTIALS))
def test_every_route_class_key_and_credential(keyed, credential, backend):
    app, keys = keyed
    client = app.test_client()
    urls = app.url_map.bind("localhost")
    header = CREDENTIALS[credential]
    for method, path, body, access in ROUTES:
        headers = {"Authorization": header} if header else {}
        resp = client.open(path, method=method, json=body, headers=headers)
        want = expected_status(access, keys, credential)
        where = (method, path, credential, keys)
        if want is None:
            assert resp.status_code not in (401, 403), (where, resp.get_json())
            assert resp.status_code < 500 or (
                backend == "milvus" and resp.status_code == 501
                and urls.match(path, method)[0] in MILVUS_UNAVAILABLE), where
        else:
            assert resp.status_code == want, (where, resp.get_data(as_text=True))
            problem = resp.get_json()
            assert problem["status"] == want and problem["detail"]
            assert resp.headers["Content-Type"].startswith("application/problem+json")
            if want == 401:
                assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        if access == "write" and want is None and path == "/memories":
            assert resp.status_code == 200  # really written
    # Nothing got written past a refusal: the item exists only if a write key was accepted.
    client.delete("/memories/k1", headers={"Authorization": f"Bearer {WRITE_KEY}"})


def test_every_registered_route_is_classified_as_its_table_says(keyed):
    """The table covers the real routes: GETs read, except the open ones; POSTs write,
    except the reading ones; OPTIONS never needs a key."""
    app, _ = keyed
    for rule in app.url_map.iter_rules():
        for method in rule.methods:
            access = classify(method, rule.endpoint, rule.rule)
            if method == "OPTIONS":
                assert access is Access.OPEN
            elif method in ("GET", "HEAD") and rule.endpoint.startswith("system."):
                assert access in (Access.OPEN, Access.READ)
            elif method in ("GET", "HEAD") or rule.rule.rsplit("/", 1)[-1] in READING_ENDS:
                assert access is Access.READ, rule.rule
            else:
                assert access is Access.WRITE, (method, rule.rule)


@pytest.mark.parametrize("method, rule, access", [
    ("POST", "/collections/<name>/memories/scroll", Access.READ),
    ("POST", "/collections/<string:name>/search", Access.READ),
    ("POST", "/collections/<name>/memories/get", Access.READ),
    ("POST", "/memories/get", Access.READ),
    ("POST", "/collections/<name>/memories/<path:item_id>", Access.WRITE),
    ("POST", "/collections/<name>", Access.WRITE),
    ("POST", "/models/train", Access.WRITE),
    ("PUT", "/search", Access.WRITE),     # only a POST to a reading rule reads
    ("GET", "/snapshots/<name>", Access.READ),
    ("PROPFIND", "/memories", Access.WRITE),  # an unforeseen method is guarded
])
def test_the_classification_of_rules_routes_do_not_have_yet(method, rule, access):
    assert classify(method, "later.x", rule) is access


# -- browser origins --------------------------------------------------------------------

ALLOWED, OTHER = "https://app.example.com", "https://evil.example.net"


@pytest.fixture(scope="module")
def cors_app(model_dir, tmp_path_factory, backends, backend):
    app = backends.app(backend, model_dir, str(tmp_path_factory.mktemp("cors-data")),
                       api_key=WRITE_KEY, read_key=READ_KEY,
                       cors_origins=("https://App.Example.com/",))
    yield app
    close_app(app)


def _preflight(client, path, origin, method="POST"):
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                         "Access-Control-Request-Headers": "authorization, "
                                                                           "content-type"})


def test_a_preflight_from_an_allowed_origin_is_204_with_the_allow_headers(cors_app):
    resp = _preflight(cors_app.test_client(), "/memories", ALLOWED)
    assert resp.status_code == 204 and resp.get_data() == b""
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert resp.headers["Access-Control-Allow-Methods"] == "POST"
    assert resp.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert int(resp.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in resp.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in resp.headers
    assert "Access-Control-Expose-Headers" not in resp.headers
    methods = _preflight(cors_app.test_client(), "/memories/x", ALLOWED, "DELETE")
    assert methods.headers["Access-Control-Allow-Methods"] == "DELETE, GET, PATCH"


def test_a_disallowed_origin_gets_no_cors_headers(cors_app):
    client = cors_app.test_client()
    for resp in (_preflight(client, "/memories", OTHER),
                 client.get("/health", headers={"Origin": OTHER}),
                 client.get("/similar?concept=cat", headers={"Origin": OTHER,
                                                             "Authorization": f"Bearer {READ_KEY}"})):
        assert not [h for h, _ in resp.headers if h.lower().startswith("access-control-")]
    assert _preflight(client, "/memories", OTHER).status_code != 204


def test_answers_to_an_allowed_origin_carry_its_origin_errors_included(cors_app):
    client = cors_app.test_client()
    ok = client.get("/similar?concept=cat", headers={"Origin": ALLOWED,
                                                     "Authorization": f"Bearer {READ_KEY}"})
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Origin" in ok.headers["Vary"]
    refused = client.get("/similar?concept=cat", headers={"Origin": ALLOWED})
    assert refused.status_code == 401  # the key is still needed; the page can read why
    assert refused.headers["Access-Control-Allow-Origin"] == ALLOWED
    no_origin = client.get("/health")
    assert "Access-Control-Allow-Origin" not in no_origin.headers


def test_the_read_key_on_a_write_route_says_so(cors_app):
    resp = cors_app.test_client().post("/memories", json={"items": [{"text": "a cat"}]},
                                       headers={"Authorization": f"Bearer {READ_KEY}"})
    assert resp.status_code == 403 and "read key" in resp.get_json()["detail"]


def test_no_origin_is_allowed_by_default(client):
    resp = _preflight(client, "/memories", ALLOWED)
    assert resp.status_code != 204
    assert not [h for h, _ in resp.headers if h.lower().startswith("access-control-")]
    assert "Access-Control-Allow-Origin" not in client.get("/health",
                                                           headers={"Origin": ALLOWED}).headers


def test_any_origin_with_a_star(model_dir, tmp_path, backends, backend):
    app = backends.app(backend, model_dir, str(tmp_path / "d"), cors_origins=("*",))
    try:
        resp = _preflight(app.test_client(), "/search", OTHER)
        assert resp.status_code == 204 and resp.headers["Access-Control-Allow-Origin"] == "*"
    finally:
        close_app(app)
