"""One real server per test session, and a Flask test client for fast route tests.

The server (``server``, ``url``) runs ``world2vec serve`` exactly as a user would:
gunicorn on a free loopback port in a subprocess, one process, gthread threads. The
test client (``client``) drives an app built in this process by the app factory, as
the worker builds it, without sockets or processes. Both serve a small model with
known geometry (service_model_fixture.py) and a temporary data directory, with a
write key set so the auth rules are live.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from service_backends import ServiceBackends
from service_model_fixture import build_model
from service_server import API_KEY, Server, start_server, stop_server

from world2vec.service.app import close_app


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> str:
    return build_model(str(tmp_path_factory.mktemp("model") / "fixture"))


@pytest.fixture(scope="session")
def server(model_dir, tmp_path_factory) -> Server:
    root = tmp_path_factory.mktemp("server")
    srv = start_server(model_dir, str(root / "data"), str(root / "server.log"))
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def url(server) -> str:
    return server.url


@pytest.fixture(scope="session")
def auth() -> dict:
    return {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="session")
def backends(tmp_path_factory) -> ServiceBackends:
    """Apps on either backend; one Milvus Lite file for the session (service_backends.py)."""
    return ServiceBackends(str(tmp_path_factory.mktemp("milvus")))


@pytest.fixture(scope="module")
def backend(request) -> str:
    """The memory backend of this module's apps: the embedded store, unless the module
    parametrises it over ``service_backends.BACKENDS`` (a ``backend`` fixture of its own)."""
    return getattr(request, "param", "faiss")


@pytest.fixture(scope="module")
def app(model_dir, tmp_path_factory, backends, backend):
    """The app factory's app on the fixture model and an empty memory of its own."""
    flask_app = backends.app(backend, model_dir, str(tmp_path_factory.mktemp("app-data")),
                             api_key=API_KEY)
    yield flask_app
    close_app(flask_app)


@pytest.fixture
def client(app):
    return app.test_client()
