"""Durability: acknowledged writes survive SIGKILL, torn/corrupt log tails are dropped
with a warning naming the byte offset, and one writer per directory is enforced."""

import logging
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from mem_helpers import DIM, random_items

from world2vec.memory import MemoryStore, StoreLocked

CHILD = textwrap.dedent("""
    import sys, numpy as np
    from world2vec.memory import MemoryStore
    store = MemoryStore.open(sys.argv[1], int(sys.argv[2]), index="flat", background=False,
                             snapshot_wal_bytes=int(sys.argv[3]))
    print("ready", flush=True)
    i = 0
    while True:
        batch = []
        for j in range(1 + i % 7):
            rng = np.random.default_rng(i * 100 + j)
            batch.append({"id": f"b{i}-{j}", "vector": rng.normal(size=int(sys.argv[2])).tolist(),
                          "text": f"batch {i} item {j}", "payload": {"i": i, "j": j}})
        store.upsert(batch)
        if i % 5 == 4:
            store.delete(f"b{i - 1}-0")
            print(f"del b{i - 1}-0", flush=True)
        print(f"ack {i} {len(batch)}", flush=True)
        i += 1
""")


def expected_vector(i, j):
    v = np.random.default_rng(i * 100 + j).normal(size=DIM)
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("snapshot_bytes", [1 << 30, 4096])
def test_every_acknowledged_write_survives_sigkill(tmp_path, snapshot_bytes):
    """The child streams batches (and, with a small threshold, snapshots and rotates
    its log mid-stream); we kill it without warning and reopen."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    data = str(tmp_path / "data")
    child = subprocess.Popen([sys.executable, str(script), data, str(DIM), str(snapshot_bytes)],
                             stdout=subprocess.PIPE, text=True)
    acked, deleted = {}, set()
    try:
        assert child.stdout.readline().strip() == "ready"
        while len(acked) < 60:
            line = child.stdout.readline().split()
            if line[0] == "del":
                deleted.add(line[1])
            else:
                acked[int(line[1])] = int(line[2])
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    store = MemoryStore.open(data, DIM, index="flat", background=False)
    try:
        for i, size in acked.items():
            for j in range(size):
                item_id = f"b{i}-{j}"
                item = store.get(item_id)
                if item_id in deleted:
                    assert item is None, item_id
                    continue
                assert item is not None, f"acknowledged {item_id} lost"
                assert item.text == f"batch {i} item {j}" and item.payload == {"i": i, "j": j}
                np.testing.assert_allclose(item.vector, expected_vector(i, j), rtol=1e-5, atol=1e-6)
    finally:
        store.close()


def _wal_path(data):
    names = [n for n in os.listdir(data) if n.startswith("wal-")]
    assert len(names) == 1
    return os.path.join(data, names[0])


def _write_batches(data, batches=3, size=4):
    s = MemoryStore.open(data, DIM, index="flat", background=False)
    for b in range(batches):
        s.add(random_items(size, seed=b, prefix=f"b{b}-"))
    sizes = os.path.getsize(_wal_path(data))
    s.close(snapshot=False)
    return sizes


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_torn_or_corrupt_tail_is_dropped_with_a_warning_naming_the_offset(tmp_path, caplog, damage):
    data = str(tmp_path / "data")
    _write_batches(data)
    path = _wal_path(data)
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        if damage == "truncate":
            fh.truncate(size - 5)
        elif damage == "flip":
            fh.seek(size - 3)
            byte = fh.read(1)
            fh.seek(size - 3)
            fh.write(bytes([byte[0] ^ 0xFF]))
        else:
            fh.seek(size)
            fh.write(b"\x10\x00\x00\x00\x01\x02")
    with caplog.at_level(logging.WARNING, logger="world2vec.memory"):
        s = MemoryStore.open(data, DIM, index="flat", background=False)
    try:
        expected_batches = 3 if damage == "garbage" else 2
        assert len(s) == 4 * expected_batches
        assert s.get("b1-3") is not None and s.get("b0-0") is not None
        assert len(s.recovery_warnings) == 1
        offset = size if damage == "garbage" else None
        message = s.recovery_warnings[0]
        assert "byte offset" in message and "dropped" in message
        if offset is not None:
            assert f"byte offset {offset}" in message
        assert any("byte offset" in r.getMessage() for r in caplog.records)
        s.add(random_items(2, seed=9, prefix="after-"))     # appends after the good data
    finally:
        s.close(snapshot=False)
    s = MemoryStore.open(data, DIM, index="flat", background=False)
    assert s.get("after-1") is not None and s.recovery_warnings == []
    s.close()


def test_a_second_writing_process_is_refused_naming_the_holder(tmp_path):
    data = str(tmp_path / "data")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from world2vec.memory import MemoryStore;"
         f"s = MemoryStore.open({data!r}, {DIM}, background=False); print('open', flush=True);"
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreLocked) as err:
            MemoryStore.open(data, DIM, background=False)
        assert err.value.pid == holder.pid and f"process {holder.pid}" in str(err.value)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    MemoryStore.open(data, DIM, background=False).close()   # a dead holder's lock is gone
