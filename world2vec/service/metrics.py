"""Prometheus metrics: request counts and latency histograms per route, plus gauges.

Why hand-written: the text exposition format is a few lines, and the service needs
no further dependency for it. Routes are labelled by their URL *rule*
(``/memories/<id>``), not the raw path, so ids never explode the label set.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    """Thread-safe counters and histograms, rendered in Prometheus text format."""

    def __init__(self, buckets: Iterable[float] = BUCKETS):
        self.buckets = tuple(sorted(buckets))
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str], int] = {}
        # (method, route) -> [bucket counts..., +Inf count], sum
        self._hist: dict[tuple[str, str], list] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, str(status))
        hkey = (method, route)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            entry = self._hist.get(hkey)
            if entry is None:
                entry = self._hist[hkey] = [[0] * (len(self.buckets) + 1), 0.0]
            entry[0][bisect_left(self.buckets, seconds)] += 1  # le: first bound >= seconds
            entry[1] += seconds

    def render(self, gauges: Callable[[], list[tuple[str, str, dict[str, str], float]]]
               | None = None) -> str:
        """The exposition text; ``gauges()`` gives (name, help, labels, value) tuples."""
        lines = ["# HELP world2vec_requests_total HTTP requests answered, by route and status.",
                 "# TYPE world2vec_requests_total counter"]
        with self._lock:
            counts = dict(self._counts)
            hist = {k: ([*v[0]], v[1]) for k, v in self._hist.items()}
        for (method, route, status), n in sorted(counts.items()):
            lines.append(f'world2vec_requests_total{{method="{method}",route="{_escape(route)}",'
                         f'status="{status}"}} {n}')
        lines += ["# HELP world2vec_request_duration_seconds Time to answer a request, by route.",
                  "# TYPE world2vec_request_duration_seconds histogram"]
        for (method, route), (buckets, total) in sorted(hist.items()):
            labels = f'method="{method}",route="{_escape(route)}"'
            cumulative = 0
            for bound, n in zip(self.buckets, buckets):
                cumulative += n
                lines.append(f'world2vec_request_duration_seconds_bucket{{{labels},le="{bound}"}} '
                             f'{cumulative}')
            cumulative += buckets[-1]
            lines.append(f'world2vec_request_duration_seconds_bucket{{{labels},le="+Inf"}} '
                         f'{cumulative}')
            lines.append(f"world2vec_request_duration_seconds_sum{{{labels}}} {total:.6f}")
            lines.append(f"world2vec_request_duration_seconds_count{{{labels}}} {cumulative}")
        seen: set[str] = set()
        for name, help_text, labels, value in (gauges() if gauges else []):
            if name not in seen:
                lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
                seen.add(name)
            label_text = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
            lines.append(f"{name}{{{label_text}}} {value:g}" if label_text else f"{name} {value:g}")
        return "\n".join(lines) + "\n"
