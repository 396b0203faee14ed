"""The README's Python tour, executed against its own fresh server as a reader would run it."""

from __future__ import annotations

import importlib.util
import os

import pytest

if importlib.util.find_spec("world2vec.service.app") is None:  # pragma: no cover
    pytest.skip("the world2vec service package is not installed", allow_module_level=True)

from client_live_server import KEY  # noqa: E402


def _readme_python_blocks() -> list[str]:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    blocks, rest = [], text
    while "```python\n" in rest:
        rest = rest.split("```python\n", 1)[1]
        block, rest = rest.split("```", 1)
        blocks.append(block)
    return blocks


def test_readme_python_examples_run_as_written(live, tmp_path, monkeypatch, capsys):
    """The README's Python tour is executed against the live server, as a reader would."""
    blocks = _readme_python_blocks()
    assert len(blocks) >= 2, "the README's Python tour went missing"
    (tmp_path / "notes.txt").write_text("".join(f"note number {i} about cats\n"
                                                for i in range(1200)))
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        assert '"http://127.0.0.1:8000"' in block
        code = block.replace('"http://127.0.0.1:8000"', repr(live))
        code = code.replace("api_key=None", f"api_key={KEY!r}")
        code = code.replace('Client(' + repr(live) + ')', f"Client({live!r}, api_key={KEY!r})")
        exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr()
    assert "Health(status='ok'" in out.out
    assert "\nrome " in out.out                     # the filtered search
    assert "Paris ['paris'" in out.out
    assert "{'population': 2100000}" in out.out
    assert "no stored memory has id 'rome'" in out.out
    assert "1200 stored, 0 failed in 3 requests" in out.out
    assert "adding 1200 items" in out.err  # the progress bar (a generator: no total)
