"""One real server per test session: gunicorn on a free loopback port, in a subprocess.

The server runs ``world2vec serve`` exactly as a user would (one process, gthread
threads), on a small model with known geometry (service_model_fixture.py) and a
temporary data directory, with a write key set so the auth rules are live.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from service_model_fixture import build_model
from service_server import API_KEY, Server, start_server, stop_server


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
