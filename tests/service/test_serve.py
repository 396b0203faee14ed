"""``world2vec serve`` as an operator meets it: configuration errors, restarts, crashes,
a locked data directory, and concurrent clients of the one server process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
import requests
from service_server import API_KEY, LAUNCH, start_server, stop_server

from world2vec import cli
from world2vec.paths import DEFAULT_MODEL_DIR
from world2vec.service.config import ServiceConfig

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def run_serve(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LAUNCH, "serve", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args,env,message", [
    (("--port", "70000"), {}, "port must be 0..65535"),
    (("--threads", "0"), {}, "threads must be 1..256"),
    (("--workers", "0"), {}, "threads must be 1..256"),
    ((), {"WORLD2VEC_THREADS": "many"}, "WORLD2VEC_THREADS must be an integer"),
    ((), {"WORLD2VEC_PORT": "eighty"}, "WORLD2VEC_PORT must be an integer"),
    ((), {"WORLD2VEC_MAX_BODY_MB": "-1"}, "max body size"),
    ((), {"WORLD2VEC_ACCESS_LOG": "perhaps"}, "WORLD2VEC_ACCESS_LOG must be true or false"),
    (("--model", "/no/such/model"), {}, "not a model directory"),
    ((), {"WORLD2VEC_API_KEY_FILE": "/no/such/key"}, "WORLD2VEC_API_KEY_FILE: cannot read"),
    ((), {"WORLD2VEC_API_KEY_FILE": "/dev/null"}, "WORLD2VEC_API_KEY_FILE: /dev/null is empty"),
    ((), {"WORLD2VEC_API_KEY": "k", "WORLD2VEC_API_KEY_FILE": "/dev/null"}, "not both"),
    ((), {"WORLD2VEC_CORS_ORIGINS": "example.com"}, "WORLD2VEC_CORS_ORIGINS"),
])
def test_bad_configuration_is_one_line_and_exit_2(args, env, message):
    result = run_serve(*args, env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("flag", ["--threads", "--workers"])
def test_threads_has_the_older_name_workers_as_an_alias(flag):
    args = cli.build_parser().parse_args(["serve", flag, "3"])
    assert args.threads == 3


@pytest.mark.parametrize("env, threads", [
    ({"WORLD2VEC_THREADS": "3"}, 3),
    ({"WORLD2VEC_WORKERS": "5"}, 5),                               # the older name still works
    ({"WORLD2VEC_THREADS": "3", "WORLD2VEC_WORKERS": "5"}, 3),     # the current name wins
])
def test_request_threads_come_from_either_environment_variable(env, threads):
    assert ServiceConfig.from_sources({}, env).threads == threads
    assert ServiceConfig.from_sources({"threads": 7}, env).threads == 7   # a flag beats both


def test_acknowledged_writes_survive_a_restart_and_a_kill(model_dir, tmp_path):
    data = str(tmp_path / "data")
    srv = start_server(model_dir, data, str(tmp_path / "log1"))
    try:
        items = [{"id": f"keep-{i}", "text": "a dog and a puppy", "tags": ["t"]} for i in range(20)]
        assert requests.post(srv.url + "/memories", json={"items": items}, headers=AUTH,
                             timeout=30).status_code == 200
        assert requests.delete(srv.url + "/memories/keep-0", headers=AUTH,
                               timeout=30).status_code == 200
    finally:
        assert stop_server(srv) == 0  # graceful: snapshot, release the lock
    assert any(name.startswith("snapshot") for name in os.listdir(data))
    srv = start_server(model_dir, data, str(tmp_path / "log2"))
    try:
        assert requests.get(srv.url + "/health", timeout=10).json()["items"] == 19
        assert requests.get(srv.url + "/memories/keep-0", timeout=10).status_code == 404
        more = [{"id": "after-restart", "text": "a car and a truck"}]
        assert requests.post(srv.url + "/memories", json={"items": more}, headers=AUTH,
                             timeout=30).status_code == 200
    finally:
        os.killpg(srv.proc.pid, signal.SIGKILL)  # no snapshot: only the log has the write
        srv.proc.wait(timeout=30)
    srv = start_server(model_dir, data, str(tmp_path / "log3"))
    try:
        assert requests.get(srv.url + "/health", timeout=10).json()["items"] == 20
        got = requests.get(srv.url + "/memories/after-restart", timeout=10).json()
        assert got["text"] == "a car and a truck"
    finally:
        stop_server(srv)


def test_a_second_server_on_the_same_data_directory_is_refused(server, model_dir):
    result = run_serve("--model", model_dir, "--data", server.data, "--port", "0",
                       env={"WORLD2VEC_TIMEOUT": "30"})
    assert result.returncode != 0
    assert "world2vec serve: error:" in result.stderr
    assert str(server.proc.pid) in result.stderr or "lock" in result.stderr.lower()
    assert requests.get(server.url + "/health", timeout=10).status_code == 200


def test_concurrent_writers_and_readers_see_whole_batches(url, auth):
    errors: list[str] = []
    batches = 12

    def writer(w: int) -> None:
        for b in range(batches):
            items = [{"id": f"cw-{w}-{b}-{i}", "text": "rain and snow", "tags": [f"b{w}-{b}"]}
                     for i in range(5)]
            r = requests.post(url + "/memories", json={"items": items}, headers=auth, timeout=30)
            if r.status_code != 200:
                errors.append(r.text)

    def reader() -> None:
        for _ in range(batches * 2):
            r = requests.post(url + "/search", json={"text": "snow", "k": 50}, timeout=30)
            if r.status_code != 200:
                errors.append(r.text)
                continue
            # a batch is applied whole: every tag seen appears on all 5 of its items
            # among the stored ones (checked through a filtered search)
            tags = {t for hit in r.json()["results"] for t in hit["tags"] if t.startswith("b")}
            for tag in list(tags)[:3]:
                f = requests.post(url + "/search", json={"text": "snow", "k": 10,
                                                         "filter": {"tags": {"all": [tag]}}},
                                  timeout=30).json()["results"]
                if len(f) != 5:
                    errors.append(f"batch {tag} seen with {len(f)} of 5 items")

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    for w in range(3):
        assert requests.get(f"{url}/memories/cw-{w}-{batches - 1}-4", timeout=10).status_code == 200


@pytest.mark.skipif(not os.path.isfile(os.path.join(DEFAULT_MODEL_DIR, "manifest.json")),
                    reason="the bundled default model is not built in this checkout yet")
def test_serve_with_no_model_argument_serves_the_bundled_model(tmp_path):
    """DESIGN.md: no arguments (but a free port) -> the bundled model, ./world2vec-data."""
    srv = start_server("", None, str(tmp_path / "log"), timeout=240, cwd=str(tmp_path))
    try:
        health = requests.get(srv.url + "/health", timeout=10).json()
        assert health["status"] == "ok" and health["dim"] > 0 and health["items"] == 0
        assert (tmp_path / "world2vec-data").is_dir()
        r = requests.get(srv.url + "/similar", params={"concept": "cat", "k": 10}, timeout=30)
        assert r.status_code == 200 and len(r.json()["results"]) == 10
        assert "cat" not in [hit["id"] for hit in r.json()["results"]]
        events = requests.get(srv.url + "/model/events", timeout=10).json()
        assert "loss" in events["scalars"]
    finally:
        stop_server(srv)
