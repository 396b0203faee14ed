"""The embedded memory (FAISS) against Milvus Lite, side by side on the same items.

    python bench/bench_backends.py [--n 100000] [--dim 100] [--queries 300] [--json OUT]

Both get the same N items (clustered vectors, a kind, tags, a payload), through the
same store interface the service uses, one thread, and the same operations: ingest
(upserts of 1,000, as POST /memories does; and one ``add`` of 1,000, whose ids are
checked first), search k=10 (latency, recall@10 against exact numpy), filtered
search, count with a filter, a full scroll, and a delete by filter.

What Milvus Lite is: the Milvus engine embedded in a local process behind the same gRPC
client API, one file, one node. It is the stand-in for a server in tests and here; it
says whether the backend works and what one node's round trips cost, not what a cluster
does. A cluster adds a network hop per call (~0.2-1 ms), spreads segments over query
nodes (searches fan out and merge: bench/simulate_fanout.py), builds indexes on index
nodes in the background, and is sized in docs/SCALING.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from world2vec.memory import MemoryStore

BATCH = 1_000
FILTER = {"payload": {"group": 3}, "tags": {"any": ["red"]}}   # ~4 % of the items
DELETE_FILTER = {"payload": {"group": 7}}                        # 10 % of the items
GROWING_QUERIES = 10


def make_items(n: int, dim: int, seed: int = 0) -> tuple[list[dict], np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(16, n // 500), dim))
    vectors = centres[rng.integers(len(centres), size=n)] + 0.6 * rng.normal(size=(n, dim))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    tag_names = ["red", "blue", "green"]
    items = [{"id": f"item{i:08d}", "vector": vectors[i], "kind": ("fact", "qa", "note")[i % 3],
              "text": f"item number {i}", "tags": [t for j, t in enumerate(tag_names) if (i >> j) % 3 == 0],
              "payload": {"n": i, "group": i % 10}} for i in range(n)]
    return items, vectors


def directory_bytes(path: str) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)


def percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1e3, q))


def run(store, items, vectors, queries, k: int, extra: list[dict], path: str) -> dict:
    out: dict = {}
    start = time.perf_counter()
    for i in range(0, len(items), BATCH):
        store.upsert(items[i: i + BATCH])       # as POST /memories does by default
    out["ingest_s"] = time.perf_counter() - start
    out["ingest_items_per_s"] = len(items) / out["ingest_s"]
    start = time.perf_counter()
    store.add(extra)                            # add: the ids are checked first (one batch)
    out["add_batch_of_1000_s"] = time.perf_counter() - start
    store.delete_many([it["id"] for it in extra])
    if hasattr(store, "config"):                 # embedded: build the HNSW index now, timed apart
        start = time.perf_counter()
        store.refresh()
        out["index_build_s"] = time.perf_counter() - start
    else:
        # Milvus: searches of just-written (growing) segments scan them; a server seals and
        # indexes segments in the background, Milvus Lite when flushed. Both, timed apart.
        times = []
        for query in queries[:GROWING_QUERIES]:
            t = time.perf_counter()
            store.search(query, k=k)
            times.append(time.perf_counter() - t)
        out["search_growing_segments"] = {"p50_ms": percentile(times, 50),
                                          "queries": len(times)}
        start = time.perf_counter()
        store.client.flush(store.collection)
        out["flush_s"] = time.perf_counter() - start
    out["disk_bytes_per_item"] = directory_bytes(path) / len(items)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :k]
    ids = np.array([it["id"] for it in items])
    for label, flt in (("search", None), ("filtered_search", FILTER)):
        store.search(queries[0], k=k, filter=flt)                  # warm
        times, recalls = [], []
        for q, query in enumerate(queries):
            t = time.perf_counter()
            hits = store.search(query, k=k, filter=flt)
            times.append(time.perf_counter() - t)
            if flt is None:
                recalls.append(len({h.id for h in hits} & set(ids[exact[q]])) / k)
        out[label] = {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99),
                      "qps_one_thread": len(times) / sum(times)}
        if recalls:
            out[label]["recall_at_10"] = float(np.mean(recalls))
    start = time.perf_counter()
    out["count_filtered"] = {"count": store.count(FILTER) if hasattr(store, "count") else None,
                             "ms": (time.perf_counter() - start) * 1e3}
    if hasattr(store, "scroll"):
        start, seen, cursor = time.perf_counter(), 0, None
        while True:
            page, cursor = store.scroll(limit=1000, cursor=cursor)
            seen += len(page)
            if cursor is None:
                break
        out["scroll"] = {"items": seen, "items_per_s": seen / (time.perf_counter() - start)}
    if hasattr(store, "delete_by_filter"):
        start = time.perf_counter()
        removed = store.delete_by_filter(DELETE_FILTER)
        out["delete_by_filter"] = {"removed": removed, "s": time.perf_counter() - start}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--backends", default="faiss,milvus")
    parser.add_argument("--json", default=None, help="write the figures here too")
    args = parser.parse_args()
    items, vectors = make_items(args.n + args.queries + BATCH, args.dim)
    queries = vectors[args.n: args.n + args.queries]   # from the same clusters, not stored
    extra = items[args.n + args.queries:]
    items, vectors = items[: args.n], vectors[: args.n]
    results = {"n": args.n, "dim": args.dim, "queries": args.queries,
               "load_average": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            print(f"{backend}: {args.n} items of dim {args.dim} ...", file=sys.stderr, flush=True)
            path = os.path.join(tmp, backend + (".db" if backend == "milvus" else ""))
            if backend == "faiss":
                store = MemoryStore.open(path, args.dim, index="hnsw", background=False)
            else:
                from world2vec.memory.milvus.collections import open_default_store
                store = open_default_store(path, args.dim)
            try:
                results[backend] = run(store, items, vectors, queries, args.k, extra, path)
            finally:
                store.close()
            print(json.dumps(results[backend], indent=1), file=sys.stderr, flush=True)
    print(json.dumps(results, indent=1))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
