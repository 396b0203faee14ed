import importlib.util

import pytest
from mem_helpers import DIM

from world2vec.memory import MemoryStore

HAVE_MILVUS = importlib.util.find_spec("pymilvus") is not None \
    and importlib.util.find_spec("milvus_lite") is not None

# Tests of the embedded store's own machinery (its files, directory lock, compaction, a
# full disk), which a Milvus collection does not have: they run on the embedded store
# only. (Some are on the collections branch: listed so the two branches meet cleanly.)
EMBEDDED_ONLY = {
    "test_compaction_drops_dead_rows_and_keeps_results",   # snapshot() renumbers rows
    "test_second_writer_in_the_same_process_is_refused",   # the data directory's lock
    "test_every_change_is_seen_by_the_next_read",          # snapshot() and its row counts
    "test_patch_merges_metadata_and_keeps_the_vector",     # reopens store.data_dir at the end
    "test_a_failed_append_applies_nothing_and_the_next_write_is_clean",   # the log's writes
    "test_a_snapshot_without_space_leaves_the_files_and_writes_go_on",    # snapshot files
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
