"""Starting a real ``world2vec serve`` for the client's live tests.

One server per test module (the ``live`` fixture in conftest.py): gunicorn exactly as a
user starts it, the bundled default model unless WORLD2VEC_MODEL names another, a
temporary data directory, a write key (so the auth rules are live; the README's tour
runs without one, as a newcomer's server does) and a 1 MiB body limit (so the 413 path
is cheap to reach). With ``backend="milvus"`` the server keeps its memory in a Milvus
Lite file of its own (``serve --backend milvus --milvus-uri``): Milvus Lite serves one
file to one process only, so a live server's file cannot be shared with the tests.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

KEY = "client-live-key"
LAUNCH = "import sys; from world2vec.cli import main; sys.exit(main())"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _backend_args(root: Path, backend: str) -> list[str]:
    if backend == "faiss":
        return []
    if importlib.util.find_spec("pymilvus") is None or importlib.util.find_spec("milvus_lite") is None:
        pytest.skip("pymilvus / milvus-lite not installed (the 'milvus' extra)")
    return ["--backend", "milvus", "--milvus-uri", str(root / "milvus.db")]


def run_live_server(root: Path, api_key: str | None = KEY, backend: str = "faiss") -> Iterator[str]:
    """Start the server under ``root``, yield its URL, stop it (a generator fixture body)."""
    port = _free_port()
    env = {**os.environ, "WORLD2VEC_MAX_BODY_MB": "1"}
    env.pop("WORLD2VEC_API_KEY", None)
    if api_key:
        env["WORLD2VEC_API_KEY"] = api_key
    log_path = root / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-c", LAUNCH, "serve", "--port", str(port),
                                 "--data", str(root / "data"), "--workers", "4",
                                 *_backend_args(root, backend)],
                                stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"world2vec serve exited with {proc.returncode}:\n"
                            f"{log_path.read_text()[-3000:]}")
            try:
                if requests.get(url + "/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or slow under load
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"world2vec serve did not answer /health:\n"
                            f"{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
