"""The README's tour, run as written against its own fresh server (no API key, as a
newcomer's `world2vec serve` has): every Python block is executed, and every curl
command is run when curl is installed."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess

import pytest

if importlib.util.find_spec("world2vec.service.app") is None:  # pragma: no cover
    pytest.skip("the world2vec service package is not installed", allow_module_level=True)

from client_live_server import run_live_server

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    yield from run_live_server(tmp_path_factory.mktemp("readme"), api_key=None)


def _tour() -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    assert "## A five-minute tour" in text, "the README's tour went missing"
    return text.split("## A five-minute tour", 1)[1].split("\n## Docker", 1)[0]


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_readme_python_examples_run_as_written(live, tmp_path, monkeypatch, capsys):
    blocks = _blocks(_tour(), "python")
    assert len(blocks) >= 2
    (tmp_path / "notes.txt").write_text("".join(f"note number {i} about cats\n"
                                                for i in range(1200)))
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        assert '"http://127.0.0.1:8000"' in block
        exec(compile(block.replace('"http://127.0.0.1:8000"', repr(live)), "README.md", "exec"),
             {})
    out = capsys.readouterr()
    assert "Health(status='ok'" in out.out
    assert "\nrome " in out.out                        # the filtered search
    assert "Paris ['paris'" in out.out                 # qa answers with the qa item's answer
    assert "allow football the team scored a late goal" in out.out
    assert "block war the army attacked the town" in out.out
    assert "{'population': 2100000}" in out.out
    assert "no stored memory has id 'rome'" in out.out
    assert "1200 stored, 0 failed in 3 requests" in out.out
    assert "adding 1200 items" in out.err              # the progress bar
    assert "2 True" in out.out                         # a trained model and its gate
    switched = next(line for line in out.out.splitlines() if line.startswith("pets "))
    assert "'cat'" in switched and "'kitten'" in switched   # the new word, among its kind


def _curl_commands(text: str) -> list[str]:
    """The curl commands of the tour's sh blocks (continuation lines joined)."""
    commands, current = [], ""
    for block in _blocks(text, "sh"):
        for line in block.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            current = f"{current}\n{line}" if current else line
            if current.count("'") % 2 == 0:  # a quoted body may span lines
                commands.append(current)
                current = ""
    return commands


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_curl_examples_answer_as_shown(live):
    text = _tour()
    commands = [c for c in _curl_commands(text) if c.startswith(("curl", "H="))]
    assert sum(c.startswith("curl") for c in commands) >= 10
    port = live.rsplit(":", 1)[1]
    env = {**os.environ, "H": "Content-Type: application/json"}
    for command in commands:
        if command.startswith("H="):
            continue
        cmd = command.replace("localhost:8000", f"localhost:{port}")
        args = [a for a in shlex.split(cmd.split("   #", 1)[0], posix=True)]
        args = [env["H"] if a == "$H" else a for a in args]
        done = subprocess.run(args + ["-sS"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (command, done.stderr)
        answer = json.loads(done.stdout)
        if "k=0" in command:
            assert answer["status"] == 400 and "'k'" in answer["detail"]
        elif "mann" in command:
            assert answer["status"] == 404 and "did you mean" in answer["detail"]
            assert "man" in answer["suggestions"]
        else:
            assert "status" not in answer or answer["status"] == "ok", (command, answer)
