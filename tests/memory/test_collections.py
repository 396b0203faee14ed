"""Collections of a data directory: create, refuse, remove, reopen; an old data directory
keeps its items in ``default``; an archive restored into a new data directory holds the
same items; export reads every item from the files while the stores are open."""

import json
import os
import tarfile
import threading

import numpy as np
import pytest
from mem_helpers import DIM, random_items

from world2vec.memory import (
    CollectionExists,
    CollectionInUse,
    MemoryStore,
    UnknownCollection,
    ValidationError,
)
from world2vec.memory.collections import Collections
from world2vec.memory.collections.archive import (
    archive_path,
    create_archive,
    list_archives,
    restore_archive,
)
from world2vec.memory.collections.export import iter_items


def open_all(path):
    return Collections.open(str(path), DIM, "flat", background=False)


@pytest.fixture
def cols(tmp_path):
    manager = open_all(tmp_path / "data")
    yield manager
    manager.close()


def vec_items(n, dim=8, prefix="v"):
    rng = np.random.default_rng(1)
    return [{"id": f"{prefix}{i:03d}", "vector": rng.normal(size=dim).tolist(),
             "tags": ["even" if i % 2 == 0 else "odd"], "payload": {"n": i}} for i in range(n)]


def test_create_refuse_list_and_delete(cols):
    assert [c.name for c in cols] == ["default"] and cols.default.model == "default"
    raw = cols.create("raw-8", dim=8, model=None, metric="l2")
    assert (raw.dim, raw.metric, raw.model) == (8, "l2", None)
    bound = cols.create("notes")
    assert (bound.dim, bound.metric, bound.model) == (DIM, "cosine", "default")
    with pytest.raises(CollectionExists):
        cols.create("raw-8", dim=8, model=None)
    for bad in ("Bad", "-x", "a" * 64, "a/b", "", None, "ünï"):
        with pytest.raises(ValidationError, match="collection name"):
            cols.create(bad, dim=8, model=None)
    with pytest.raises(ValidationError, match="needs 'dim'"):
        cols.create("nodim", model=None)
    with pytest.raises(ValidationError, match="model's dimension"):
        cols.create("wrongdim", dim=DIM + 1)
    with pytest.raises(ValidationError, match="metric"):
        cols.create("badmetric", metric="cos")
    with pytest.raises(ValidationError, match="model must be"):
        cols.create("badmodel", model="bert")
    assert [c.name for c in cols] == ["default", "notes", "raw-8"]
    info = raw.info(detail=True)
    assert info["items"] == 0 and info["index"] == "flat" and info["bytes"] > 0
    path = raw.path
    cols.delete("raw-8")
    assert not os.path.exists(path) and "raw-8" not in cols
    with pytest.raises(UnknownCollection):
        cols.get("raw-8")
    with pytest.raises(UnknownCollection):
        cols.delete("raw-8")
    with pytest.raises(CollectionInUse):
        cols.delete("default")
    assert cols.create("raw-8", dim=3, model=None).dim == 3      # the name is free again


def test_a_bring_your_own_collection_takes_only_vectors_of_its_dimension(cols):
    raw = cols.create("own", dim=8, model=None)
    raw.store.add(vec_items(10))
    with pytest.raises(ValidationError, match="dimension"):
        raw.store.add([{"id": "x", "vector": [1.0] * 9}])
    with pytest.raises(ValidationError, match="no 'vector'"):
        raw.store.add([{"id": "t", "text": "text only"}])
    assert len(raw.store) == 10 and len(cols.default.store) == 0


def test_collections_survive_a_restart_and_an_old_data_directory_keeps_its_items(tmp_path):
    data = tmp_path / "data"
    old = MemoryStore.open(str(data), DIM, index="flat", background=False)   # an earlier version's
    old.add(random_items(12))
    old.close()
    cols = open_all(data)
    try:
        assert len(cols.default.store) == 12 and cols.default.store.get("i3").text == "text 3"
        cols.create("own", dim=8, model=None, metric="dot").store.add(vec_items(5))
        os.makedirs(os.path.join(cols.root, ".creating-half-1234"))        # a crashed create
    finally:
        cols.close()
    cols = open_all(data)
    try:
        assert [c.name for c in cols] == ["default", "own"]
        assert len(cols.get("own").store) == 5 and cols.get("own").metric == "dot"
        assert not any(e.startswith(".") for e in os.listdir(cols.root))
    finally:
        cols.close()


def test_an_archive_taken_while_writing_restores_into_a_new_data_directory(cols, tmp_path):
    cols.default.store.add(random_items(30))
    own = cols.create("own", dim=8, model=None, metric="l2")
    own.store.add(vec_items(40))
    own.store.delete_many(["v000"])
    stop = threading.Event()

    def writer():
        n = 0
        while not stop.is_set():
            cols.default.store.upsert(random_items(3, seed=100 + n, prefix=f"w{n}-"))
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        info = create_archive(cols)
    finally:
        stop.set()
        thread.join()
    assert info["collections"]["own"] == 39 and info["items"] >= 30 + 39
    assert [a["name"] for a in list_archives(cols.data_dir)] == [info["name"]]
    path = archive_path(cols.data_dir, info["name"])
    assert os.path.getsize(path) == info["bytes"] and tarfile.is_tarfile(path)
    with pytest.raises(ValidationError):
        archive_path(cols.data_dir, "../../etc/passwd")
    with pytest.raises(FileNotFoundError):
        archive_path(cols.data_dir, "nothing.tar")
    target = tmp_path / "restored"
    assert restore_archive(path, str(target))["items"] == info["items"]
    restored = open_all(target)
    try:
        assert len(restored.default.store) == info["collections"]["default"]
        again = restored.get("own")
        assert (again.dim, again.metric, again.model) == (8, "l2", None)
        for item_id in ("v001", "v039"):
            a, b = own.store.get(item_id), again.store.get(item_id)
            np.testing.assert_array_equal(a.vector, b.vector)
            assert (a.payload, a.tags) == (b.payload, b.tags)
        q = np.ones(8, dtype=np.float32)
        assert [h.id for h in again.store.search(q, k=5)] == [h.id for h in own.store.search(q, k=5)]
    finally:
        restored.close()
    with pytest.raises(ValidationError, match="not empty"):
        restore_archive(path, str(target))


def test_restore_refuses_an_archive_with_other_entries(tmp_path):
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        payload = tmp_path / "x"
        payload.write_text("x")
        tar.add(payload, arcname="../outside")
    with pytest.raises(ValidationError, match="unexpected entry"):
        restore_archive(str(evil), str(tmp_path / "new"))
    assert not (tmp_path / "new").exists() and not (tmp_path / "outside").exists()


def test_export_reads_every_item_while_the_stores_are_open(cols):
    cols.default.store.add(random_items(25))
    cols.default.store.delete_many(["i4"])
    cols.default.store.patch("i5", {"seen": True})
    own = cols.create("own", dim=8, model=None)
    own.store.add(vec_items(7))
    dumped = list(iter_items(cols.data_dir))                 # the lock is held: read the files
    assert sorted(d["id"] for d in dumped) == sorted(f"i{i}" for i in range(25) if i != 4)
    by_id = {d["id"]: d for d in dumped}
    assert by_id["i5"]["payload"]["seen"] is True
    np.testing.assert_allclose(by_id["i7"]["vector"], cols.default.store.get("i7").vector)
    json.dumps(dumped)                                       # plain JSON values only
    assert [d["id"] for d in iter_items(cols.data_dir, "own")] == [f"v{i:03d}" for i in range(7)]
    with pytest.raises(UnknownCollection):
        list(iter_items(cols.data_dir, "ghost"))
