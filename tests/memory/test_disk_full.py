"""A full disk: the write fails with InsufficientStorage, nothing half-applied, the log
cut back to its last whole record, writes work again once space returns, and nothing
acknowledged is lost across a restart. Simulated (os.write / os.fsync raising ENOSPC)
and real (a 2 MiB tmpfs, where mounting is permitted)."""

import errno
import os
import subprocess

import pytest
from mem_helpers import DIM, random_items

from world2vec.memory import MemoryStore
from world2vec.memory.errors import InsufficientStorage


def reopen(path):
    return MemoryStore.open(path, DIM, index="flat", background=False)


def wal_files(path):
    return {n: os.path.getsize(os.path.join(path, n)) for n in os.listdir(path) if n.startswith("wal-")}


def enospc(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("failing", ["write", "fsync", "partial write"])
def test_a_failed_append_applies_nothing_and_the_next_write_is_clean(store, monkeypatch, failing):
    store.add(random_items(10))
    before = wal_files(store.data_dir)
    real_write = os.write

    def partial_then_full(fd, data):
        if len(data) > 8:                                  # half a record lands, then no space
            real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    fake = {"write": enospc, "fsync": enospc, "partial write": partial_then_full}[failing]
    monkeypatch.setattr(os, "write" if "write" in failing else "fsync", fake)
    with pytest.raises(InsufficientStorage, match="no space left"):
        store.add(random_items(5, seed=9, prefix="lost"))
    with pytest.raises(InsufficientStorage):
        store.delete_many(["i0"])
    with pytest.raises(InsufficientStorage):
        store.patch("i1", {"x": 1})
    monkeypatch.undo()
    assert len(store) == 10 and "lost0" not in store and "i0" in store
    assert "x" not in store.get("i1").payload
    assert wal_files(store.data_dir) == before              # cut back to the last whole record
    store.add(random_items(3, seed=2, prefix="after"))       # space is back: writes work again
    path = store.data_dir
    store.close(snapshot=False)
    again = reopen(path)
    try:
        assert len(again) == 13 and "after2" in again and "lost0" not in again
        assert again.recovery_warnings == []                # no torn record was left behind
    finally:
        again.close()


def test_a_snapshot_without_space_leaves_the_files_and_writes_go_on(store, monkeypatch):
    store.add(random_items(20))
    names = sorted(os.listdir(store.data_dir))
    real_fsync = os.fsync

    def fsync_all_but_the_log(fd):
        if "wal-" in os.readlink(f"/proc/self/fd/{fd}"):
            return real_fsync(fd)
        return enospc()

    monkeypatch.setattr(os, "fsync", fsync_all_but_the_log)
    with pytest.raises(InsufficientStorage):
        store.snapshot()
    assert sorted(os.listdir(store.data_dir)) == names      # no half snapshot, no new log
    store.snapshot_wal_bytes = 1                             # the next write wants a snapshot
    store.add(random_items(2, seed=5, prefix="more"))        # ... which fails; the write does not
    monkeypatch.undo()
    assert len(store) == 22
    path = store.data_dir
    store.close()
    again = reopen(path)
    try:
        assert len(again) == 22
    finally:
        again.close()


@pytest.fixture
def tiny_disk(tmp_path):
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(path):
    """Write a file until the disk is full; returns its path."""
    filler = os.path.join(path, "filler")
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_real_full_disk(tiny_disk):
    path = str(tiny_disk / "data")
    store = reopen(path)
    acked = set(store.add(random_items(50)))
    filler = fill(str(tiny_disk))
    refused = 0
    for n in range(5):
        batch = random_items(200, seed=n, prefix=f"b{n}-")
        try:
            acked |= set(store.upsert(batch))
        except InsufficientStorage:
            refused += 1
    assert refused >= 1
    with pytest.raises(InsufficientStorage):
        store.snapshot()
    assert {it.id for it in store.scroll(limit=10_000)[0]} == acked
    os.remove(filler)                                       # space returns: no restart needed
    acked |= set(store.upsert(random_items(200, seed=50, prefix="back")))
    filler = fill(str(tiny_disk))
    with pytest.raises(InsufficientStorage):
        store.upsert(random_items(200, seed=51, prefix="lost"))
    store.close()                                           # no space for a snapshot: the log stays
    os.remove(filler)
    store = reopen(path)
    try:
        assert {it.id for it in store.scroll(limit=10_000)[0]} == acked
        assert store.recovery_warnings == []
        acked |= set(store.add(random_items(200, seed=99, prefix="later")))
        store.snapshot()
        assert len(store) == len(acked)
    finally:
        store.close()
    store = reopen(path)
    try:
        assert {it.id for it in store.scroll(limit=10_000)[0]} == acked
    finally:
        store.close()
