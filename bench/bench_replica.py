"""What one world2vec replica costs per request when the memory is elsewhere (Milvus).

    python bench/bench_replica.py [--requests 2000]

With ``--backend milvus`` a replica parses the request, encodes a text query with the
model, calls Milvus, and writes the answer. Everything but the Milvus call is measured
here: the real app (bundled model, real routes, JSON) over a stub memory that answers
ten hits at once, driven in-process through WSGI by one thread. The result is the
replica's own CPU time per request, hence the requests/s one server process (one GIL)
can sustain at most; Milvus's time comes on top as latency, not as replica CPU (the
request thread waits on the network). docs/SCALING.md uses the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from world2vec.embeddings import load_model
from world2vec.memory import Hit, Item
from world2vec.memory.milvus.checks import query_row
from world2vec.memory.milvus.expressions import filter_expression
from world2vec.service.app import create_app
from world2vec.service.config import ServiceConfig


class StubMemory:
    """Answers every search with the same ten hits at once, after the checks and the filter
    translation MilvusStore does in the replica (the rest of the cost is Milvus's)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.hits = [Hit(f"item{i}", 0.9 - i / 100, Item(f"item{i}", "fact", f"text of item {i}",
                                                      None, ["a"], {"n": i}, None, 1.7e9))
                     for i in range(10)]

    def search(self, vector, k=10, filter=None, exclude_ids=(), with_vectors=False, **_):
        query_row(vector, self.dim, "cosine")       # what MilvusStore does in the replica
        filter_expression(filter)                   # before its one call to Milvus
        return self.hits[:k]

    def __len__(self) -> int:
        return 10

    def close(self) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    model = load_model(None)
    app = create_app(ServiceConfig(data="/nonexistent"), model=model, store=StubMemory(model.dim))
    client = app.test_client()
    vector = np.random.default_rng(0).normal(size=model.dim).tolist()
    bodies = {"vector query": {"vector": vector, "k": 10},
              "text query": {"text": "a small animal that purrs", "k": 10},
              "vector query + filter": {"vector": vector, "k": 10,
                                        "filter": {"kind": "fact", "tags": {"any": ["a"]}}}}
    out = {"load_average": os.getloadavg(), "dim": model.dim}
    for label, body in bodies.items():
        for _ in range(50):
            assert client.post("/search", json=body).status_code == 200
        start = time.perf_counter()
        for _ in range(args.requests):
            client.post("/search", json=body)
        per = (time.perf_counter() - start) / args.requests
        out[label] = {"ms_per_request": per * 1e3, "requests_per_s_one_process": 1 / per}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
