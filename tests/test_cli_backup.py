"""``world2vec dump`` writes every item as JSON lines that ``world2vec load`` reads back
(also beside a process holding the data directory); ``world2vec restore`` makes a new
data directory from a snapshot archive and refuses one that is not empty."""

from __future__ import annotations

import json

import numpy as np
import pytest

from world2vec import cli
from world2vec.memory.collections import Collections
from world2vec.memory.collections.archive import create_archive

DIM = 6


def items(n: int, prefix: str, dim: int = DIM) -> list[dict]:
    rng = np.random.default_rng(len(prefix) + n)
    return [{"id": f"{prefix}{i}", "vector": rng.normal(size=dim).tolist(), "text": f"t{i}",
             "tags": ["a"] if i % 2 else [], "payload": {"n": i, "s": "é"}} for i in range(n)]


def open_all(path):
    return Collections.open(str(path), DIM, "flat", background=False)


def dump(capsys, *args: str) -> list[dict]:
    assert cli.main(["dump", *args]) == 0
    out = capsys.readouterr()
    assert "dumped" in out.err and "dumped" not in out.out   # messages on stderr only
    return [json.loads(line) for line in out.out.splitlines()]


def test_dump_writes_every_item_and_load_reads_it_back(tmp_path, capsys):
    source = open_all(tmp_path / "src")
    try:
        source.default.store.add(items(30, "d"))
        source.default.store.delete_many(["d3"])
        own = source.create("own", dim=3, model=None, metric="dot")
        own.store.add(items(12, "o", dim=3))
        lines = dump(capsys, "--data", str(tmp_path / "src"))        # the lock is held
        own_lines = dump(capsys, "--data", str(tmp_path / "src"), "--collection", "own")
        expected = {it.id: it for it in source.default.store.get_many(
            [f"d{i}" for i in range(30) if i != 3])[0]}
    finally:
        source.close()
    assert sorted(d["id"] for d in lines) == sorted(expected)
    assert all(set(d) == {"id", "kind", "text", "vector", "tags", "payload", "answer",
                          "created_at"} for d in lines)
    assert len(own_lines) == 12
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(d) + "\n" for d in lines))
    (tmp_path / "o.jsonl").write_text("".join(json.dumps(d) + "\n" for d in own_lines))
    target = open_all(tmp_path / "dst")
    target.create("own", dim=3, model=None, metric="dot")
    target.close()
    assert cli.main(["load", "--data", str(tmp_path / "dst"), str(tmp_path / "d.jsonl")]) == 0
    assert cli.main(["load", "--data", str(tmp_path / "dst"), "--collection", "own",
                     str(tmp_path / "o.jsonl")]) == 0
    capsys.readouterr()
    loaded = open_all(tmp_path / "dst")
    try:
        got = {it.id: it for it in loaded.default.store.get_many(sorted(expected))[0]}
        for item_id, it in expected.items():
            np.testing.assert_allclose(got[item_id].vector, it.vector, atol=1e-6)
            assert (got[item_id].payload, got[item_id].tags, got[item_id].created_at) == \
                (it.payload, it.tags, it.created_at)
        assert len(loaded.get("own").store) == 12
    finally:
        loaded.close()
    assert cli.main(["dump", "--data", str(tmp_path / "dst"), "--collection", "ghost"]) == 2
    assert "no collection named 'ghost'" in capsys.readouterr().err


def test_restore_makes_a_new_data_directory_from_a_snapshot(tmp_path, capsys):
    source = open_all(tmp_path / "src")
    try:
        source.default.store.add(items(8, "d"))
        source.create("own", dim=3, model=None).store.add(items(5, "o", dim=3))
        info = create_archive(source)
    finally:
        source.close()
    archive = str(tmp_path / "src" / "snapshots" / info["name"])
    assert cli.main(["restore", "--data", str(tmp_path / "new"), archive]) == 0
    assert "restored 13 items" in capsys.readouterr().err
    restored = open_all(tmp_path / "new")
    try:
        assert len(restored.default.store) == 8 and len(restored.get("own").store) == 5
    finally:
        restored.close()
    assert cli.main(["restore", "--data", str(tmp_path / "new"), archive]) == 2
    assert "not empty" in capsys.readouterr().err
    (tmp_path / "junk.tar").write_bytes(b"not a tar at all" * 10)
    assert cli.main(["restore", "--data", str(tmp_path / "other"), str(tmp_path / "junk.tar")]) == 2
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize("missing", ["data", "file"])
def test_usage_errors(tmp_path, capsys, missing):
    if missing == "data":
        assert cli.main(["dump", "--data", str(tmp_path / "nowhere")]) == 2
    else:
        assert cli.main(["restore", "--data", str(tmp_path / "x"), str(tmp_path / "no.tar")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
