import importlib.util

import pytest
from mem_helpers import DIM

from world2vec.memory import MemoryStore

HAVE_MILVUS = importlib.util.find_spec("pymilvus") is not None \
    and importlib.util.find_spec("milvus_lite") is not None

# Tests of the embedded store's own machinery (its files, directory lock, compaction),
# which a Milvus collection does not have: they run on the embedded store only.
EMBEDDED_ONLY = {
    "test_compaction_drops_dead_rows_and_keeps_results",   # snapshot() renumbers rows
    "test_second_writer_in_the_same_process_is_refused",   # the data directory's lock
    "test_every_change_is_seen_by_the_next_read",          # snapshot() and its row counts
}


@pytest.fixture(scope="session")
def milvus_collections(tmp_path_factory):
    """One Milvus Lite database for the whole run (starting one takes seconds)."""
    if not HAVE_MILVUS:
        pytest.skip("pymilvus / milvus-lite not installed (the 'milvus' extra)")
    from world2vec.memory.milvus import MilvusCollections
    manager = MilvusCollections.open(str(tmp_path_factory.mktemp("milvus") / "memory.db"), DIM)
    yield manager
    manager.close()


@pytest.fixture(params=["faiss", "milvus"])
def store(request, tmp_path):
    """The memory, on each backend: the embedded store, and a Milvus Lite collection
    (emptied before each test)."""
    if request.param == "faiss":
        s = MemoryStore.open(str(tmp_path / "data"), DIM, index="flat", background=False)
        yield s
        s.close()
        return
    if request.node.originalname in EMBEDDED_ONLY:
        pytest.skip("about the embedded store's files")
    manager = request.getfixturevalue("milvus_collections")
    if "store" not in manager:
        manager.create("store", dim=DIM, model=None)
    s = manager.get("store").store
    s.delete_by_filter({})
    yield s
