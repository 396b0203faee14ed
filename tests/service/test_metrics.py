"""/metrics: request metrics, the state's gauges read at scrape time, and the process
collectors, in the Prometheus text format (or OpenMetrics when asked)."""

from __future__ import annotations

import time
from types import SimpleNamespace

from prometheus_client.parser import text_string_to_metric_families

from world2vec.service.metrics import Metrics


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


class FakeStore:
    def __init__(self, items: int, stats: dict | None = None):
        self.items, self._stats = items, stats or {}

    def __len__(self) -> int:
        return self.items

    def stats(self) -> dict:
        return self._stats


def fake_state(counts: dict[str, int] | None = None, items: int = 3):
    """The service state's shape as the metrics read it; ``counts`` gives it collections."""
    store = FakeStore(items, {"wal_bytes": 4096, "index": "hnsw", "index_covered": 2_000_001})
    state = SimpleNamespace(dim=100, started_at=time.time() - 5, store=store,
                            model=SimpleNamespace(name="fixture", words=["a"] * 7))
    if counts is not None:
        state.collection_counts = lambda: counts
    return state


def test_request_counters_and_histograms_by_route_and_status():
    m = Metrics(buckets=(0.01, 0.1))
    m.observe("GET", "/similar", 200, 0.005)
    m.observe("GET", "/similar", 200, 0.05)
    m.observe("GET", "/similar", 400, 5.0)
    body, content_type = m.exposition()
    assert content_type.startswith("text/plain")
    got = samples(body.decode())
    route = (("method", "GET"), ("route", "/similar"))
    assert got[("world2vec_requests_total", (*route, ("status", "200")))] == 2
    assert got[("world2vec_requests_total", (*route, ("status", "400")))] == 1
    assert got[("world2vec_request_duration_seconds_bucket", (("le", "0.01"), *route))] == 1
    assert got[("world2vec_request_duration_seconds_bucket", (("le", "0.1"), *route))] == 2
    assert got[("world2vec_request_duration_seconds_bucket", (("le", "+Inf"), *route))] == 3
    assert got[("world2vec_request_duration_seconds_count", route)] == 3
    assert abs(got[("world2vec_request_duration_seconds_sum", route)] - 5.055) < 1e-9


def test_large_counts_are_exact_and_each_collection_is_labelled():
    m = Metrics()
    m.watch(fake_state({"default": 1_234_567, "notes": 7}))
    got = samples(m.exposition()[0].decode())
    assert got[("world2vec_collection_items", (("collection", "default"),))] == 1_234_567
    assert got[("world2vec_collection_items", (("collection", "notes"),))] == 7
    assert got[("world2vec_items", ())] == 1_234_574
    assert got[("world2vec_index_covered_items", (("index", "hnsw"),))] == 2_000_001
    assert got[("world2vec_wal_bytes", ())] == 4096
    assert got[("world2vec_model_info", (("dim", "100"), ("model", "fixture")))] == 1
    assert got[("world2vec_model_words", ())] == 7
    assert got[("world2vec_uptime_seconds", ())] >= 5


def test_gauges_are_read_at_scrape_time_from_the_default_memory():
    state = fake_state(items=3)
    m = Metrics()
    m.watch(state)
    assert samples(m.exposition()[0].decode())[("world2vec_collection_items",
                                                 (("collection", "default"),))] == 3
    state.store.items = 42
    assert samples(m.exposition()[0].decode())[("world2vec_items", ())] == 42


def test_openmetrics_when_the_scraper_asks_for_it():
    m = Metrics()
    m.observe("GET", "/health", 200, 0.001)
    body, content_type = m.exposition("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.decode().rstrip().endswith("# EOF")


def test_the_service_serves_its_metrics_with_the_process_collectors(client):
    client.get("/similar?concept=cat")
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/plain")
    text = resp.get_data(as_text=True)
    got = samples(text)
    assert got[("world2vec_requests_total", (("method", "GET"), ("route", "/similar"),
                                             ("status", "200")))] >= 1
    assert ("world2vec_collection_items", (("collection", "default"),)) in got
    assert "process_resident_memory_bytes" in text and "python_info" in text
    assert "python_gc_collections_total" in text
