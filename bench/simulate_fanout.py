"""Measure small HNSW shards, then simulate a sharded search: p99 at 10 and 100 shards.

    python bench/simulate_fanout.py [--dims 100,384] [--sizes 10000,20000,40000] [--json OUT]

A search on a sharded collection (Milvus: segments spread over query nodes) asks every
shard for its top k and merges: its latency is the *slowest* shard's plus the fan-out
and merge, so tails add up as shards multiply. What is measured here, per dimension:

1. Memory per item of each index kind, from FAISS's serialized indexes at the largest
   size (flat, HNSW M 16 and 32, IVF-PQ), beside the formulas of docs/SCALING.md.
2. Per shard size: the smallest efSearch (HNSW M 16, efConstruction 128) reaching
   recall@10 >= 0.95 against exact search, and at it one thread's per-query latencies
   (queries held out from the same vectors: the bundled model's word vectors, see
   ``real_vectors``), each run three times, its fastest run taken as its cost.
3. On the largest shard, the same queries' costs at efSearch 32, 64, 128 and 256. Small
   shards reach recall 0.95 with a narrow beam; large ones do not, so a shard of the
   planned size gets the ef the project measured for it (``planned_ef``: 128 at 1M for
   recall 0.97, docs/MEMORY.md, growing as n^0.8 above), its samples taken from the
   nearest profiled ef and scaled linearly in ef and by ln(n) (``shard_cost``). That
   extrapolation is the model's weakest part, and it is stated as such in SCALING.md.

The simulation then draws, per query, one latency per shard from that distribution (each
shard on its own core, as a query node runs segments in parallel), adds a per-shard RPC
cost (``--rpc-ms``, an assumption: this machine has no network) and the merge cost
(measured here: merging shards x k hits), and reports p50/p99 per shard count. The figures
are a model from small measured shards, not a cluster measurement; docs/SCALING.md says
how they were used.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import sys
import time

import faiss
import numpy as np

TARGET_RECALL = 0.95
EF_CANDIDATES = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
REPEATS = 3
PROFILE_EF = (32, 64, 128, 256)


def real_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    """``n`` unit vectors with a real embedding's structure: the bundled model's word
    vectors (dim 100, ~50k), shuffled; for another dim, lifted by a fixed random linear
    map plus a little noise (the intrinsic dimension stays the model's, as sentence
    embeddings of 384 dimensions also have a much lower one)."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from world2vec.embeddings import load_model
    words = np.asarray(load_model(None).words.normed, dtype=np.float32)
    rng = np.random.default_rng(seed)
    x = words[rng.permutation(len(words))[:n]]
    if dim != x.shape[1]:
        x = x @ rng.normal(size=(x.shape[1], dim)) + 0.05 * rng.normal(size=(len(x), dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def bytes_per_item(index: faiss.Index, n: int) -> float:
    return len(faiss.serialize_index(index)) / n


def memory_table(data: np.ndarray) -> dict:
    """Serialized bytes per item of each index kind over ``data``."""
    n, dim = data.shape
    out = {}
    flat = faiss.IndexFlatIP(dim)
    flat.add(data)
    out["faiss_flat"] = bytes_per_item(flat, n)
    for m in (16, 32):
        hnsw = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 40
        hnsw.add(data)
        out[f"faiss_hnsw_m{m}"] = bytes_per_item(hnsw, n)
    pq_m = dim // 4 if dim % 4 == 0 else dim // 2     # 4 (or 2) dimensions per 1-byte code
    nlist = int(4 * math.sqrt(n))
    quantizer = faiss.IndexFlatIP(dim)
    ivfpq = faiss.IndexIVFPQ(quantizer, dim, nlist, pq_m, 8, faiss.METRIC_INNER_PRODUCT)
    ivfpq.train(data[: min(n, 256 * max(nlist, 256))])
    ivfpq.add(data)
    out[f"faiss_ivfpq_m{pq_m}"] = bytes_per_item(ivfpq, n)
    out["ivfpq_fixed_bytes"] = nlist * dim * 4 + 256 * dim * 4     # centroids + codebooks
    return out


def shard_latencies(data: np.ndarray, queries: np.ndarray, k: int = 10) -> dict:
    """Smallest ef reaching the target recall, and one thread's latencies at it."""
    dim = data.shape[1]
    index = faiss.IndexHNSWFlat(dim, 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 128
    start = time.perf_counter()
    index.add(data)
    build_s = time.perf_counter() - start
    truth = np.argsort(-(queries @ data.T), axis=1)[:, :k]
    chosen = None
    for ef in EF_CANDIDATES:
        index.hnsw.efSearch = ef
        _, found = index.search(queries, k)
        recall = np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth)])
        if recall >= TARGET_RECALL:
            chosen = (ef, float(recall))
            break
    ef, recall = chosen or (EF_CANDIDATES[-1], float(recall))
    own_ms, raw_ms = timed(index, queries, ef, k)
    profile = {}
    for plan_ef in PROFILE_EF:                       # the cost of a wider beam, same shard
        plan_own, _ = timed(index, queries, plan_ef, k)
        _, found = index.search(queries, k)
        profile[plan_ef] = {"mean_ms": float(plan_own.mean()), "samples_ms": plan_own.tolist(),
                            "recall": float(np.mean([len(set(f) & set(t)) / k
                                                     for f, t in zip(found, truth)]))}
    return {"n": len(data), "ef": ef, "recall": recall, "build_s": build_s,
            "build_items_per_s": len(data) / build_s,
            "p50_ms": float(np.percentile(own_ms, 50)), "p99_ms": float(np.percentile(own_ms, 99)),
            "mean_ms": float(own_ms.mean()),
            "loaded_machine_p99_ms": float(np.percentile(raw_ms, 99)), "by_ef": profile}


def timed(index: faiss.Index, queries: np.ndarray, ef: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-query milliseconds at ``ef``: each query's fastest of REPEATS runs (its own cost:
    the slower runs were this shared machine preempting the process, which a dedicated
    query node does not), and every run (the loaded machine's figure, reported)."""
    index.hnsw.efSearch = ef
    index.search(queries[:10], k)                    # warm
    timings = np.empty((REPEATS, len(queries)))
    for r in range(REPEATS):
        for i, q in enumerate(queries):
            t = time.perf_counter()
            index.search(q.reshape(1, -1), k)
            timings[r, i] = time.perf_counter() - t
    return timings.min(axis=0) * 1e3, timings.ravel() * 1e3


def planned_ef(n: int) -> int:
    """efSearch for recall@10 ~0.95 on a shard of ``n``: 128 at 1M (measured in
    docs/MEMORY.md: recall 0.971, M 32), growing as (n / 1M) ** 0.8 above (the exponent of
    the embedded store's measured rule, ``indexes.ef_search_for``), at least 32."""
    return int(max(32, round(128 * (n / 1e6) ** 0.8))) if n >= 1e6 else \
        int(max(32, round(128 * (n / 1e6) ** 0.5)))


def shard_cost(profile: dict, n_measured: int, n: int) -> tuple[np.ndarray, int]:
    """Per-query samples for a shard of ``n``: the measured samples at the nearest
    profiled ef, times ef(n) / that ef (a beam's cost is linear in its width), times
    ln(n) / ln(n_measured) (a walk's length grows as the log of the graph's size)."""
    ef = planned_ef(n)
    base = min(profile, key=lambda e: abs(math.log(int(e) / ef)))   # keys: str once in JSON
    samples = np.asarray(profile[base]["samples_ms"])
    return samples * (ef / int(base)) * (math.log(n) / math.log(n_measured)), ef


def merge_cost_ms(shards: int, k: int = 10, repeat: int = 200) -> float:
    """Merging ``shards`` sorted lists of k (score, id) hits into the best k, in Python."""
    rng = np.random.default_rng(0)
    lists = [sorted(((float(s), i) for i, s in enumerate(rng.random(k))), reverse=True)
             for _ in range(shards)]
    start = time.perf_counter()
    for _ in range(repeat):
        heapq.nlargest(k, (hit for hits in lists for hit in hits))
    return (time.perf_counter() - start) / repeat * 1e3


def simulate(samples_ms: np.ndarray, scale: float, shards: int, rpc_ms: float, merge_ms: float,
             queries: int = 20_000, seed: int = 0) -> dict:
    """p50/p99 of max over shards of (scaled shard latency + rpc jitter) + merge."""
    rng = np.random.default_rng(seed)
    draws = rng.choice(samples_ms, size=(queries, shards)) * scale
    rpc = rng.exponential(rpc_ms, size=(queries, shards)) if rpc_ms > 0 else 0.0
    total = (draws + rpc).max(axis=1) + merge_ms
    return {"shards": shards, "p50_ms": float(np.percentile(total, 50)),
            "p99_ms": float(np.percentile(total, 99))}


def simulation(largest: dict, args: argparse.Namespace) -> list[dict]:
    """p50/p99 of a search over 100M items cut into 1, 10 and 100 shards."""
    out = []
    for shards in (1, 10, 100):
        per_shard = args.total // shards
        samples, ef = shard_cost(largest["by_ef"], largest["n"], per_shard)
        samples = samples * args.shard_scale
        result = simulate(samples, 1.0, shards, args.rpc_ms, merge_cost_ms(shards))
        result.update(items_per_shard=per_shard, planned_ef=ef,
                      shard_mean_ms=float(samples.mean()),
                      shard_p99_ms=float(np.percentile(samples, 99)),
                      cpu_ms_per_query=shards * float(samples.mean()))
        out.append(result)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dims", default="100,384")
    parser.add_argument("--sizes", default="10000,20000,40000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--total", type=int, default=100_000_000, help="items in the collection")
    parser.add_argument("--rpc-ms", type=float, default=0.5,
                        help="mean per-shard RPC cost, exponential (an assumption)")
    parser.add_argument("--shard-scale", type=float, default=1.0,
                        help="multiply the modelled shard costs (a calibration, e.g. to a "
                             "measured large shard)")
    parser.add_argument("--from", dest="source", default=None,
                        help="simulate again from an earlier --json report, measuring nothing")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.source:
        with open(args.source) as fh:
            report = json.load(fh)
        report.update(rpc_ms=args.rpc_ms, shard_scale=args.shard_scale)
        for entry in report["dims"].values():
            entry["simulation"] = simulation(entry["shards"][-1], args)
        print(json.dumps({d: e["simulation"] for d, e in report["dims"].items()}, indent=1))
        return
    faiss.omp_set_num_threads(1)
    sizes = [int(s) for s in args.sizes.split(",")]
    report: dict = {"load_average": os.getloadavg(), "rpc_ms": args.rpc_ms,
                    "shard_scale": args.shard_scale, "dims": {}}
    for dim in (int(d) for d in args.dims.split(",")):
        everything = real_vectors(max(sizes) + args.queries, dim, seed=dim)
        data, queries = everything[: max(sizes)], everything[max(sizes):]
        print(f"dim {dim}: memory per item ...", file=sys.stderr, flush=True)
        entry: dict = {"memory_bytes_per_item": memory_table(data), "shards": []}
        for n in sizes:
            print(f"dim {dim}: shard of {n} ...", file=sys.stderr, flush=True)
            entry["shards"].append(shard_latencies(data[:n], queries))
        for shard in entry["shards"][:-1]:          # the largest shard's samples are kept
            for point in shard["by_ef"].values():
                del point["samples_ms"]
        entry["simulation"] = simulation(entry["shards"][-1], args)
        report["dims"][str(dim)] = entry
        print(json.dumps(entry, indent=1), file=sys.stderr, flush=True)
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)


if __name__ == "__main__":
    main()
