"""The README's "In Python, without a server" example, run as written."""

from __future__ import annotations

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_readme_in_python_example_runs_as_written(tmp_path, monkeypatch, capsys):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    section = text.split("## In Python, without a server", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out == ["['cat']", "['pets']", "no stored memory has id 'car'", "['x']", "1 ['x', 'y']"]
    assert (tmp_path / "notes-data" / "collections" / "own" / "manifest.json").is_file()
