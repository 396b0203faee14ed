"""Prometheus metrics: request counts and latency histograms per route, the memory's
and the model's gauges, and the process collectors, through ``prometheus_client``.

Why the library: it writes the exposition formats exactly (every value in full,
where ``:g`` printed 1,234,567 items as 1.23457e+06), negotiates OpenMetrics with
scrapers that ask for it, and brings the standard process, platform and GC
collectors (memory, CPU, open files) that dashboards expect.

Each app has its own registry, so several apps in one process (the tests, a
program embedding the service) never share or collide over series. Routes are
labelled by their URL *rule* (``/memories/<path:item_id>``), not the raw path, so ids
never explode the label set. The gauges are read from the service's state by a
collector at scrape time, so they are current without anyone updating them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

log = logging.getLogger("world2vec.service")

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One app's registry: request metrics, process collectors, and the state's gauges."""

    def __init__(self, buckets: Iterable[float] = BUCKETS):
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self._requests = Counter("world2vec_requests", "HTTP requests answered, by route and "
                                 "status.", ["method", "route", "status"], registry=self.registry)
        self._duration = Histogram("world2vec_request_duration_seconds", "Time to answer a "
                                   "request, by route.", ["method", "route"],
                                   buckets=tuple(sorted(buckets)), registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self._requests.labels(method, route, str(status)).inc()
        self._duration.labels(method, route).observe(seconds)

    def watch(self, state: Any) -> None:
        """Report ``state``'s gauges (items per collection, model, uptime) at every scrape."""
        self.registry.register(StateCollector(state))

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """The body and its Content-Type: Prometheus text, or OpenMetrics when accepted."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


def collection_counts(state: Any) -> dict[str, int]:
    """Items per collection: ``state.collection_counts()`` where the state has collections,
    else the one default memory."""
    counts = getattr(state, "collection_counts", None)
    if callable(counts):
        return {str(name): int(n) for name, n in counts().items()}
    return {"default": len(state.store)}


class StateCollector:
    """Gauges read from the service state when Prometheus scrapes."""

    def __init__(self, state: Any):
        self.state = state

    def describe(self) -> list[Metric]:
        return []  # the series depend on the state at scrape time; nothing to check up front

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._gauges()
        except Exception:  # one broken gauge must not blind the whole scrape
            log.exception("reading the service's gauges for /metrics")

    def _gauges(self) -> Iterator[Metric]:
        st = self.state
        counts = collection_counts(st)
        yield GaugeMetricFamily("world2vec_items", "Items in the memory, all collections.",
                                value=sum(counts.values()))
        per_collection = GaugeMetricFamily("world2vec_collection_items", "Items in each "
                                           "collection of the memory.", labels=["collection"])
        for name, n in sorted(counts.items()):
            per_collection.add_metric([name], n)
        yield per_collection
        dim = int(st.dim)
        yield GaugeMetricFamily("world2vec_model_dim", "Dimension of the model's vectors.",
                                value=dim)
        info = GaugeMetricFamily("world2vec_model_info", "The loaded model (value is always 1).",
                                 labels=["model", "dim"])
        info.add_metric([str(st.model.name), str(dim)], 1)
        yield info
        yield GaugeMetricFamily("world2vec_model_words", "Concepts in the model's vocabulary.",
                                value=len(st.model.words))
        yield GaugeMetricFamily("world2vec_uptime_seconds", "Seconds since this process "
                                "started serving.", value=time.time() - st.started_at)
        relations = getattr(st, "relations", None)
        if relations is not None:
            listed = relations.list()
            by_source = GaugeMetricFamily("world2vec_relations", "Relations served, the model's "
                                          "own and the user's.", labels=["source"])
            for source in ("model", "user"):
                by_source.add_metric([source], sum(r["source"] == source for r in listed))
            yield by_source
        stats = st.store.stats() if hasattr(st.store, "stats") else {}
        if "wal_bytes" in stats:
            yield GaugeMetricFamily("world2vec_wal_bytes", "Bytes in the memory's write-ahead log.",
                                    value=stats["wal_bytes"])
        if "index_covered" in stats:
            covered = GaugeMetricFamily("world2vec_index_covered_items", "Items inside the "
                                        "approximate index (the rest are searched exactly).",
                                        labels=["index"])
            covered.add_metric([str(stats.get("index"))], stats["index_covered"])
            yield covered
