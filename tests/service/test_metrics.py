"""Request metrics in the Prometheus text format."""

from __future__ import annotations

from world2vec.service.metrics import Metrics


def test_metrics_render_prometheus_histograms():
    m = Metrics(buckets=(0.01, 0.1))
    m.observe("GET", "/similar", 200, 0.005)
    m.observe("GET", "/similar", 200, 0.05)
    m.observe("GET", "/similar", 400, 5.0)
    text = m.render(lambda: [("world2vec_items", "Items.", {}, 3.0)])
    assert 'world2vec_requests_total{method="GET",route="/similar",status="200"} 2' in text
    assert 'world2vec_request_duration_seconds_bucket{method="GET",route="/similar",le="0.01"} 1' \
        in text
    assert 'le="0.1"} 2' in text and 'le="+Inf"} 3' in text
    assert 'world2vec_request_duration_seconds_count{method="GET",route="/similar"} 3' in text
    assert "world2vec_items 3" in text
