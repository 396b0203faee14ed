"""Readers running during writes (and during background index builds) see
consistent results: every hit is a whole item whose score matches its vector."""

import threading

import numpy as np
import pytest
from mem_helpers import DIM

from world2vec.memory import MemoryStore


def vector_for(item_id, version):
    seed = int(item_id[1:]) * 1000 + version
    v = np.random.default_rng(seed).normal(size=DIM)
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("index", ["flat", "hnsw"])
def test_readers_during_writes_see_consistent_items(tmp_path, index, monkeypatch):
    from world2vec.memory import builder
    monkeypatch.setattr(builder, "EXTEND_MIN_ROWS", 200)      # extend the index often
    store = MemoryStore.open(str(tmp_path / "d"), DIM, index=index, background=True)
    errors, stop = [], threading.Event()
    written = [0]

    def writer():
        try:
            for batch in range(40):
                new = [{"id": f"n{batch * 50 + j}", "vector": vector_for(f"n{batch * 50 + j}", 0).tolist(),
                        "payload": {"v": 0}, "tags": ["even"] if j % 2 == 0 else []}
                       for j in range(50)]
                store.add(new)
                written[0] = (batch + 1) * 50
                if batch:
                    old = [f"n{(batch - 1) * 50 + j}" for j in range(0, 50, 5)]
                    store.upsert([{"id": i, "vector": vector_for(i, batch).tolist(),
                                   "payload": {"v": batch}, "tags": ["even"]} for i in old])
                    store.delete(f"n{(batch - 1) * 50 + 1}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            stop.set()

    def reader(seed):
        rng = np.random.default_rng(seed)
        try:
            while not stop.is_set():
                q = rng.normal(size=DIM)
                q /= np.linalg.norm(q)
                flt = {"tags": {"all": ["even"]}} if rng.random() < 0.5 else None
                before = written[0]
                hits = store.search(q, k=10, filter=flt, with_vectors=True)
                ids = [h.id for h in hits]
                assert len(ids) == len(set(ids))
                assert len(hits) == 10 or before < 40
                scores = [h.score for h in hits]
                assert scores == sorted(scores, reverse=True)
                for h in hits:
                    np.testing.assert_allclose(h.item.vector, vector_for(h.id, h.item.payload["v"]),
                                               atol=1e-5)
                    assert abs(h.score - float(h.item.vector @ q)) < 1e-4
                    if flt:
                        assert "even" in h.item.tags
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=(s,))
                                                   for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[0]
    store.refresh()
    assert len(store) == 2000 - 39
    if index == "hnsw":
        assert store.stats()["index"] == "hnsw" and store.stats()["index_covered"] == store.stats()["rows"]
        assert store._builder.builds >= 2      # built, then extended while readers ran
    store.close()
