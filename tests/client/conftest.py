"""Fixtures for the client tests: a fake server (client_fake.py) and a stateful fake
service on it (client_fake_service.py), a recorded sleep, a port nobody listens on.
Behaviour against the real service is in test_client_live*.py."""

from __future__ import annotations

import socket

import pytest
from client_fake import FakeServer
from client_fake_service import FakeService
from client_live_server import run_live_server


@pytest.fixture
def fake():
    server = FakeServer()
    yield server
    server.close()


@pytest.fixture
def service(fake) -> FakeService:
    """The fake server answering as a stateful service (client_fake_service.py)."""
    svc = FakeService()
    fake.handler = svc
    return svc


@pytest.fixture
def sleeps() -> list[float]:
    """Pass ``sleep=sleeps.append`` to a Client: backoff delays are recorded, not slept."""
    return []


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def live_backend(request) -> str:
    """The live server's memory backend: the embedded store, unless a module parametrises
    it (a ``live_backend`` fixture of its own, params ``("faiss", "milvus")``)."""
    return getattr(request, "param", "faiss")


@pytest.fixture(scope="module")
def live(tmp_path_factory, live_backend):
    """A real ``world2vec serve`` for this test module (see client_live_server.py)."""
    yield from run_live_server(tmp_path_factory.mktemp("client-live"), backend=live_backend)
