#!/usr/bin/env python
"""The memory's figures beside a plain FAISS scan and chromadb, in one run.

For each size (default 100k and 1M vectors of dim 100):
  * ingest rate: items/s through MemoryStore.add in batches of 500, every batch
    fsync'd to the write-ahead log (what a client gets acknowledged);
  * exact search queries/s (one query per call, as the service does) beside a plain
    FAISS IndexFlatIP scan and a numpy matmul of the same vectors;
  * per approximate index (HNSW, IVF-Flat, IVF-PQ): build seconds, recall@10
    against exact, queries/s, bytes per vector;
  * filtered queries/s and recall at 1 %, 10 % and 50 % selectivity (a payload range),
    and the ratio to the same index's unfiltered time;
  * chromadb in-process (PersistentClient, its default HNSW) with the same data,
    when it is installed (``pip install chromadb``; bench only), up to --chroma-max.

Data: a Gaussian mixture (1,000 clusters) normalized to the unit sphere, queries
from the same mixture -- clustered like real embeddings, unlike uniform noise on
which every ANN index looks bad. Numbers on a shared 2-core machine are noisy
(+-15-25 %): compare the columns of one run, not runs.

    python bench/bench_memory.py [--sizes 100000 1000000] [--queries 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import faiss
import numpy as np

from world2vec.memory import MemoryStore
from world2vec.memory.indexes import IndexConfig

SELECTIVITIES = (0.01, 0.10, 0.50)


def mixture(n: int, dim: int, seed: int, centers: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        x = centers[rng.integers(len(centers), size=m)] + rng.normal(size=(m, dim))
        out[start:start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def qps(fn, queries) -> float:
    fn(queries[0])
    t0 = time.perf_counter()
    for q in queries:
        fn(q)
    return len(queries) / (time.perf_counter() - t0)


def recall(results: list[list[int]], truth: np.ndarray) -> float:
    return float(np.mean([len(set(r) & set(t)) / len(t) for r, t in zip(results, truth)]))


def line(name: str, **cols) -> None:
    print(f"  {name:<26}" + "".join(f"{k}={v:<12}" for k, v in cols.items()), flush=True)


def bench_size(n: int, dim: int, nq: int, chroma_max: int, workdir: str, kinds: list[str]) -> None:
    centers = np.random.default_rng(0).normal(size=(1000, dim)).astype(np.float32)
    x = mixture(n, dim, 1, centers)
    queries = mixture(nq, dim, 2, centers)
    bucket = np.arange(n) % 100
    print(f"\n=== {n:,} vectors, dim {dim}, {nq} queries ===", flush=True)

    # exact ground truth (batched, BLAS)
    faiss.cvar.distance_compute_blas_threshold = 20
    flat = faiss.IndexFlatIP(dim)
    flat.add(x)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    truth = flat.search(queries, 10)[1]
    truth_f = {}
    for sel in SELECTIVITIES:
        ids = np.flatnonzero(bucket < int(sel * 100))
        sub = faiss.IndexFlatIP(dim)
        sub.add(x[ids])
        truth_f[sel] = ids[sub.search(queries, 10)[1]]
    faiss.omp_set_num_threads(1)

    # ingest
    path = os.path.join(workdir, f"w2v-{n}")
    store = MemoryStore.open(path, dim, index="flat", background=False,
                             snapshot_wal_bytes=1 << 40)
    t0 = time.perf_counter()
    for start in range(0, n, 500):
        end = min(n, start + 500)
        store.add([{"id": str(i), "vector": x[i], "kind": "fact",
                    "payload": {"bucket": int(bucket[i])}} for i in range(start, end)])
    ingest = n / (time.perf_counter() - t0)
    line("ingest (batches of 500)", items_per_s=f"{ingest:,.0f}",
         wal_MB=f"{store.stats()['wal_bytes'] / 1e6:.0f}")

    def ours(q, k=10, flt=None):
        return [int(h.id) for h in store.search(q, k, filter=flt)]

    one = [q.reshape(1, -1) for q in queries]
    faiss_qps = qps(lambda q: flat.search(q, 10), one)
    numpy_qps = qps(lambda q: np.argpartition(-(x @ q[0]), 10)[:10], one)
    exact_qps = qps(ours, queries)
    exact_res = [ours(q) for q in queries[:50]]
    line("exact: plain FAISS scan", qps=f"{faiss_qps:,.0f}")
    line("exact: numpy matmul", qps=f"{numpy_qps:,.0f}")
    line("exact: MemoryStore.search", qps=f"{exact_qps:,.0f}",
         vs_faiss=f"{faiss_qps / exact_qps:.2f}x", recall=f"{recall(exact_res, truth[:50]):.3f}",
         bytes_per_vec=f"{4 * dim}")
    filtered(store, ours, queries, truth_f, exact_qps, "exact")

    for kind in kinds:
        store.config = IndexConfig(kind)
        faiss.omp_set_num_threads(os.cpu_count() or 1)     # builds use every core
        t0 = time.perf_counter()
        store.refresh()
        build = time.perf_counter() - t0
        faiss.omp_set_num_threads(1)                        # queries: one thread each
        index = store.ann.index
        size = faiss.serialize_index(index).nbytes if n <= 1_000_000 else 0
        ann_qps = qps(ours, queries)
        res = [ours(q) for q in queries]
        line(f"{kind}", build_s=f"{build:.1f}", qps=f"{ann_qps:,.0f}",
             recall=f"{recall(res, truth):.3f}", index_bytes_per_vec=f"{size / n:.0f}")
        filtered(store, ours, queries, truth_f, ann_qps, kind)
    store.close(snapshot=False)
    shutil.rmtree(path, ignore_errors=True)

    if chroma_max and n <= chroma_max:
        bench_chroma(x, queries, bucket, truth, truth_f, workdir)


def filtered(store, ours, queries, truth_f, unfiltered_qps, label) -> None:
    for sel in SELECTIVITIES:
        flt = {"payload": {"bucket": {"lt": int(sel * 100)}}}
        f_qps = qps(lambda q, flt=flt: ours(q, 10, flt), queries)
        res = [ours(q, 10, flt) for q in queries[:100]]
        line(f"{label} filtered {sel:.0%}", qps=f"{f_qps:,.0f}",
             time_vs_unfiltered=f"{unfiltered_qps / f_qps:.2f}x",
             recall=f"{recall(res, truth_f[sel][:100]):.3f}")


def bench_chroma(x, queries, bucket, truth, truth_f, workdir) -> None:
    try:
        import chromadb
    except ImportError:
        print("  chromadb: not installed (pip install chromadb) -- skipped")
        return
    n = len(x)
    path = os.path.join(workdir, f"chroma-{n}")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("bench", metadata={"hnsw:space": "ip"})
    t0 = time.perf_counter()
    for start in range(0, n, 500):
        end = min(n, start + 500)
        col.add(ids=[str(i) for i in range(start, end)], embeddings=x[start:end],
                metadatas=[{"bucket": int(b)} for b in bucket[start:end]])
    ingest = n / (time.perf_counter() - t0)
    line(f"chromadb {chromadb.__version__} ingest", items_per_s=f"{ingest:,.0f}")

    def query(q, flt=None):
        r = col.query(query_embeddings=[q], n_results=10, where=flt, include=[])
        return [int(i) for i in r["ids"][0]]

    c_qps = qps(query, queries)
    res = [query(q) for q in queries]
    line("chromadb search", qps=f"{c_qps:,.0f}", recall=f"{recall(res, truth):.3f}")
    for sel in SELECTIVITIES:
        flt = {"bucket": {"$lt": int(sel * 100)}}
        f_qps = qps(lambda q, flt=flt: query(q, flt), queries)
        res = [query(q, flt) for q in queries[:100]]
        line(f"chromadb filtered {sel:.0%}", qps=f"{f_qps:,.0f}",
             time_vs_unfiltered=f"{c_qps / f_qps:.2f}x",
             recall=f"{recall(res, truth_f[sel][:100]):.3f}")
    del client
    shutil.rmtree(path, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--indexes", nargs="+", default=["hnsw", "ivf", "ivfpq"],
                        choices=["hnsw", "ivf", "ivfpq"])
    parser.add_argument("--chroma-max", type=int, default=100_000,
                        help="run chromadb only up to this size (0: never)")
    parser.add_argument("--workdir", default=None, help="where data directories go (default: tmp)")
    args = parser.parse_args(argv)
    print(f"faiss {faiss.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} cores, OMP threads {faiss.omp_get_max_threads()}")
    # Single queries run on one OpenMP thread, as the service runs them
    # (OMP_NUM_THREADS=1; see PERFORMANCE-NOTES.md); builds use every core.
    faiss.omp_set_num_threads(1)
    workdir = args.workdir or tempfile.mkdtemp(prefix="w2v-bench-")
    try:
        for n in args.sizes:
            bench_size(n, args.dim, args.queries, args.chroma_max, workdir, args.indexes)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
