"""Starting and stopping a real ``world2vec serve`` (gunicorn) for the service tests.

A module of its own, not conftest.py: test folders each have a conftest, and
``from conftest import ...`` would pick whichever was imported first.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import requests

API_KEY = "test-key-123"
LAUNCH = "import sys; from world2vec.cli import main; sys.exit(main())"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    data: str | None
    model: str
    log_path: str

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return fh.read()


def start_server(model: str, data: str | None, log_path: str, env_extra: dict | None = None,
                 extra_args: tuple[str, ...] = (), timeout: float = 90.0,
                 cwd: str | None = None) -> Server:
    """Start ``world2vec serve``; an empty ``model`` / ``data`` leaves that flag out."""
    port = free_port()
    env = {**os.environ, "WORLD2VEC_API_KEY": API_KEY, **(env_extra or {})}
    for name in ("WORLD2VEC_MODEL", "WORLD2VEC_DATA"):
        env.pop(name, None)
    args = [sys.executable, "-c", LAUNCH, "serve", "--port", str(port), *extra_args]
    if data:
        args += ["--data", data, "--threads", "4"]
    if model:
        args += ["--model", model]
    log = open(log_path, "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True, cwd=cwd)
    url = f"http://127.0.0.1:{port}"
    server = Server(url, proc, data, model, log_path)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{server.log()}")
            try:
                if requests.get(url + "/health", timeout=5).status_code == 200:
                    return server
            except requests.RequestException:  # not listening yet, or slow under load
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not answer within {timeout} s:\n{server.log()}")
    except BaseException:
        stop_server(server)  # never leave a server behind
        raise


def stop_server(server: Server, sig: int = signal.SIGTERM) -> int:
    if server.proc.poll() is None:
        server.proc.send_signal(sig)
        try:
            server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=10)
    return server.proc.returncode
