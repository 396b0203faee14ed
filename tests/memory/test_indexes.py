"""Approximate indexes: chosen by configuration or size, found again after reopen,
correct under deletes, updates and filters, and close to exact search."""

import numpy as np
import pytest
from mem_helpers import DIM

from world2vec.memory import MemoryStore, ValidationError
from world2vec.memory.indexes import (
    AUTO_ANN_FROM,
    AUTO_PQ_FROM,
    EF_MAX,
    IndexConfig,
    ef_search_for,
    search_params,
)


def clustered(n, seed=0, centers=30):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centers, DIM))
    x = c[rng.integers(centers, size=n)] + 0.35 * rng.normal(size=(n, DIM))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_auto_rule():
    cfg = IndexConfig("auto")
    assert cfg.wanted(AUTO_ANN_FROM - 1) is None
    assert cfg.wanted(AUTO_ANN_FROM) == "hnsw"
    assert cfg.wanted(AUTO_PQ_FROM) == "ivfpq"
    assert IndexConfig("ivf").wanted(10) is None           # too few vectors to train
    with pytest.raises(ValidationError, match="index must be"):
        IndexConfig("annoy")


def test_hnsw_ef_search_grows_with_the_index_and_under_filters():
    cfg = IndexConfig("hnsw")
    sizes = [1_000, 100_000, 175_000, 1_000_000, 5_000_000, 50_000_000]
    efs = [ef_search_for(cfg, n) for n in sizes]
    assert efs[:2] == [64, 64]                        # up to 100k: ef_search as configured
    assert efs == sorted(efs) and 380 <= efs[3] <= 420  # ~400 at 1M (recall 0.99 there)
    assert efs[-1] == EF_MAX
    assert ef_search_for(IndexConfig("hnsw", ef_search=32), 1_000) == 32
    assert ef_search_for(IndexConfig("hnsw", ef_scale=False), 1_000_000) == 64

    class Sized:                                      # search_params reads only ntotal
        ntotal = 1_000_000
    plain = search_params("hnsw", Sized(), cfg, None, 1.0, 10).efSearch
    filtered = search_params("hnsw", Sized(), cfg, None, 0.1, 10).efSearch
    assert plain == efs[3] and filtered > plain
    assert search_params("hnsw", Sized(), cfg, None, 1.0, 1000).efSearch >= 2000


def test_an_hnsw_store_accepts_ef_options(tmp_path):
    x = clustered(300, seed=4)
    with MemoryStore.open(str(tmp_path / "m"), DIM, index="hnsw", background=False,
                          ef_search=16, ef_scale=False) as store:
        store.add([{"id": f"v{i}", "vector": x[i]} for i in range(300)])
        store.refresh()
        assert store.stats()["index"] == "hnsw" and store.ann.index.hnsw.efSearch == 16
        assert store.search(x[7], k=1)[0].id == "v7"


@pytest.mark.parametrize("kind", ["hnsw", "ivf", "ivfpq"])
def test_approximate_index_recall_deletes_updates_and_filters(tmp_path, kind, monkeypatch):
    from world2vec.memory import searching
    monkeypatch.setattr(searching, "EXACT_SUBSET", 100)   # broad filters go through the index
    monkeypatch.setattr(searching, "GATHER_ROWS", 50)
    x = clustered(3000)
    items = [{"id": f"v{i}", "vector": x[i].tolist(), "tags": ["rare"] if i % 100 == 0 else [],
              "payload": {"i": i}} for i in range(3000)]
    store = MemoryStore.open(str(tmp_path / "d"), DIM, index=kind, background=False, nprobe=32)
    store.add(items)
    store.refresh()
    assert store.stats()["index"] == kind and store.stats()["index_covered"] == 3000
    queries = clustered(50, seed=1)
    exact = [set(np.argsort(-(x @ q))[:10]) for q in queries]
    got = [{int(h.id[1:]) for h in store.search(q, k=10)} for q in queries]
    recall = np.mean([len(a & b) / 10 for a, b in zip(exact, got)])
    assert recall >= 0.9, recall
    # deletes and updates work although HNSW cannot remove: tombstones
    store.delete_many([f"v{i}" for i in range(0, 3000, 3)])
    target = -x[0]
    store.upsert([{"id": "v1", "vector": target.tolist(), "payload": {"i": -1}}])
    hits = store.search(target, k=5)
    assert hits[0].id == "v1" and hits[0].item.payload == {"i": -1}
    for q in queries[:10]:
        assert all(int(h.id[1:]) % 3 for h in store.search(q, k=20))
    # a 1 % filter still returns k hits (rare items not deleted: i % 100 == 0 and i % 3 != 0)
    rare_alive = [i for i in range(0, 3000, 100) if i % 3]
    hits = store.search(queries[0], k=10, filter={"tags": {"all": ["rare"]}})
    assert len(hits) == 10 and all(int(h.id[1:]) in rare_alive for h in hits)
    # a broad filter through the index (not gathered) still honours the filter
    hits = store.search(queries[0], k=10, filter={"payload": {"i": {"gte": 1500}}})
    assert len(hits) == 10 and all(h.item.payload["i"] >= 1500 for h in hits)
    # rows written after the build are searched too (exact tail), before any rebuild
    store.add([{"id": "late", "vector": (-x[5]).tolist()}])
    assert store.search(-x[5], k=1)[0].id == "late"
    store.close()


def test_index_is_rebuilt_after_reopen_and_compaction(tmp_path):
    x = clustered(2000, seed=3)
    path = str(tmp_path / "d")
    store = MemoryStore.open(path, DIM, index="hnsw", background=False)
    store.add([{"id": f"v{i}", "vector": x[i].tolist()} for i in range(2000)])
    store.delete_many([f"v{i}" for i in range(1000)])
    store.snapshot()                                   # compacts: rows renumbered
    assert store.stats()["index_covered"] == 0
    store.refresh()
    assert store.stats()["index_covered"] == 1000
    assert store.search(x[1500], k=1)[0].id == "v1500"
    store.close()
    store = MemoryStore.open(path, DIM, index="hnsw", background=False)
    store.refresh()
    assert store.stats()["index"] == "hnsw"
    assert store.search(x[1700], k=1)[0].id == "v1700"
    store.close()


def test_a_new_index_serves_the_very_next_search(tmp_path, monkeypatch):
    """Reads share one view of the store until something changes: swapping in a built
    index is such a change, so the next search uses it instead of the exact scan."""
    from world2vec.memory import searching
    x = clustered(1000, seed=2)
    store = MemoryStore.open(str(tmp_path / "d"), DIM, index="hnsw", background=False)
    store.add([{"id": f"v{i}", "vector": x[i].tolist()} for i in range(1000)])
    exact_scans = []
    real_exact = searching.exact
    monkeypatch.setattr(searching, "exact",
                        lambda *args: exact_scans.append(1) or real_exact(*args))
    assert store.search(x[5], k=1)[0].id == "v5" and len(exact_scans) == 1   # no index yet
    store.refresh()
    assert store.search(x[5], k=1)[0].id == "v5" and len(exact_scans) == 1   # the HNSW answered
    store.close()


def test_assigning_a_new_index_config_takes_effect_at_the_next_refresh(tmp_path):
    """``store.config`` is a public attribute (the benchmark switches index kinds on one
    store this way): reads and builds use the config assigned last."""
    x = clustered(1200, seed=6)
    store = MemoryStore.open(str(tmp_path / "d"), DIM, background=False)   # auto: exact here
    store.add([{"id": f"v{i}", "vector": x[i].tolist()} for i in range(1200)])
    assert store.search(x[3], k=1)[0].id == "v3"
    store.refresh()
    assert store.stats()["index"] == "flat"
    for kind in ("hnsw", "ivf"):
        store.config = IndexConfig(kind)
        store.refresh()
        assert store.stats()["index"] == kind and store.stats()["index_covered"] == 1200
        assert store.search(x[3], k=1)[0].id == "v3"
    store.close()
