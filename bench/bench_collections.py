"""Data operations of the memory, timed once, beside chromadb where it has the same one.

What is measured (``--n`` items of ``--dim``, default 100,000 x 100, in-process):
  * scroll: every item, pages of ``--page``, without and with vectors, and filtered (10 %);
  * count and get_many (1,000 random ids);
  * batch search (``--queries`` vectors in one call) against one call per query;
  * delete by filter: 10 % of the items, then 50 %;
  * snapshot of the whole memory (``POST /snapshots``' archive): time, size, and restore;
  * chromadb in-process (PersistentClient) with the same data, when it is installed
    (``pip install chromadb``; bench only): ``get`` pages (its scroll), ``count``,
    ``get(ids)``, ``query`` with all queries at once, ``delete(where=...)``, and the
    size of its directory (it has no snapshot operation of its own).

Run: ``python bench/bench_collections.py [--n 100000] [--dim 100]``. One run, one
thread per query; the figures are for comparing rows, not absolute.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from world2vec.memory.collections import Collections
from world2vec.memory.collections.archive import create_archive, restore_archive
from world2vec.memory.collections.manager import directory_bytes


def line(name: str, **figures: object) -> None:
    print(f"  {name:<42} " + "  ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def make_data(n: int, dim: int, seed: int = 7) -> tuple[np.ndarray, list[dict]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    metas = [{"bucket": i % 10, "n": i} for i in range(n)]
    return x, metas


def fill(cols: Collections, x: np.ndarray, metas: list[dict], batch: int = 2000) -> float:
    store = cols.default.store
    start = time.perf_counter()
    for lo in range(0, len(x), batch):
        store.add([{"id": f"id{i:07d}", "vector": x[i], "payload": metas[i],
                    "tags": ["odd" if i % 2 else "even"]} for i in range(lo, min(lo + batch, len(x)))])
    return time.perf_counter() - start


def scroll_all(store, page: int, flt=None, with_vectors=False) -> int:
    cursor, seen = None, 0
    while True:
        items, cursor = store.scroll(page, cursor, flt, with_vectors)
        seen += len(items)
        if cursor is None:
            return seen


def bench_ours(args, x, metas, workdir) -> None:
    n = len(x)
    print(f"world2vec MemoryStore (flat, {n:,} x {args.dim})")
    cols = Collections.open(os.path.join(workdir, "w2v"), args.dim, "flat", background=False)
    try:
        line("ingest", items_per_s=f"{n / fill(cols, x, metas):,.0f}")
        store = cols.default.store
        for label, kwargs in (("scroll", {}), ("scroll with vectors", {"with_vectors": True}),
                              ("scroll filtered 10 %", {"flt": {"payload": {"bucket": 3}}})):
            seen, dt = timed(scroll_all, store, args.page, **kwargs)
            line(f"{label} (pages of {args.page})", items=seen, items_per_s=f"{seen / dt:,.0f}")
        count, dt = timed(store.count, {"payload": {"bucket": {"lt": 5}}})
        line("count (filter 50 %)", count=count, ms=f"{dt * 1e3:.1f}")
        ids = [f"id{i:07d}" for i in np.random.default_rng(1).choice(n, 1000, replace=False)]
        (found, _), dt = timed(store.get_many, ids)
        line("get_many 1,000 ids", found=len(found), ms=f"{dt * 1e3:.1f}")
        queries = np.random.default_rng(2).normal(size=(args.queries, args.dim)).astype(np.float32)
        _, dt_batch = timed(store.search_batch, queries, 10)
        _, dt_single = timed(lambda: [store.search(q, 10) for q in queries])
        line(f"search {args.queries} queries, k 10", batch_qps=f"{args.queries / dt_batch:,.0f}",
             single_qps=f"{args.queries / dt_single:,.0f}")
        info, dt = timed(create_archive, cols)
        line("snapshot of the whole memory", s=f"{dt:.2f}", MB=f"{info['bytes'] / 1e6:.1f}",
             items=info["items"])
        archive = os.path.join(cols.data_dir, "snapshots", info["name"])
        _, dt = timed(restore_archive, archive, os.path.join(workdir, "restored"))
        line("restore into a new data directory", s=f"{dt:.2f}")
        line("data directory on disk", MB=f"{directory_bytes(cols.data_dir, ('snapshots',)) / 1e6:.1f}")
        deleted, dt = timed(store.delete_by_filter, {"payload": {"bucket": 1}})
        line("delete by filter 10 %", deleted=deleted, s=f"{dt:.3f}")
        deleted, dt = timed(store.delete_by_filter, {"payload": {"bucket": {"gte": 5}}})
        line("delete by filter 50 %", deleted=deleted, s=f"{dt:.3f}")
    finally:
        cols.close()


def bench_chroma(args, x, metas, workdir) -> None:
    try:
        import chromadb
    except ImportError:
        print("chromadb: not installed (pip install chromadb) -- skipped")
        return
    n = len(x)
    print(f"chromadb {chromadb.__version__} in-process (PersistentClient, HNSW cosine)")
    path = os.path.join(workdir, "chroma")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("bench", metadata={"hnsw:space": "cosine"})
    ids = [f"id{i:07d}" for i in range(n)]
    step = min(5000, client.get_max_batch_size())
    start = time.perf_counter()
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        col.add(ids=ids[lo:hi], embeddings=x[lo:hi], metadatas=metas[lo:hi])
    line("ingest", items_per_s=f"{n / (time.perf_counter() - start):,.0f}")

    def get_all(where=None, include=None) -> int:
        seen, offset = 0, 0
        while True:
            got = col.get(limit=args.page, offset=offset, where=where, include=include or [])
            seen += len(got["ids"])
            if len(got["ids"]) < args.page:
                return seen
            offset += args.page

    for label, kwargs in (("get pages (its scroll)", {}),
                          ("get pages with embeddings", {"include": ["embeddings"]}),
                          ("get pages filtered 10 %", {"where": {"bucket": 3}})):
        seen, dt = timed(get_all, **kwargs)
        line(f"{label} (pages of {args.page})", items=seen, items_per_s=f"{seen / dt:,.0f}")
    count, dt = timed(col.count)
    line("count (no filter: it has none)", count=count, ms=f"{dt * 1e3:.1f}")
    some = [f"id{i:07d}" for i in np.random.default_rng(1).choice(n, 1000, replace=False)]
    got, dt = timed(col.get, ids=some)
    line("get 1,000 ids", found=len(got["ids"]), ms=f"{dt * 1e3:.1f}")
    queries = np.random.default_rng(2).normal(size=(args.queries, args.dim)).astype(np.float32)
    _, dt = timed(col.query, query_embeddings=queries, n_results=10)
    line(f"query {args.queries} queries at once, k 10", qps=f"{args.queries / dt:,.0f}")
    line("persist directory on disk", MB=f"{directory_bytes(path) / 1e6:.1f}")
    _, dt = timed(shutil.copytree, path, path + "-copy")
    line("copying its directory (its backup)", s=f"{dt:.2f}")
    _, dt = timed(col.delete, where={"bucket": 1})
    line("delete where 10 %", left=col.count(), s=f"{dt:.3f}")
    _, dt = timed(col.delete, where={"bucket": {"$gte": 5}})
    line("delete where 50 %", left=col.count(), s=f"{dt:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="items (default: %(default)s)")
    parser.add_argument("--dim", type=int, default=100, help="dimension (default: %(default)s)")
    parser.add_argument("--page", type=int, default=1000, help="scroll page (default: %(default)s)")
    parser.add_argument("--queries", type=int, default=100,
                        help="queries of the batch search (default: %(default)s)")
    parser.add_argument("--no-chroma", action="store_true", help="skip chromadb")
    args = parser.parse_args()
    x, metas = make_data(args.n, args.dim)
    workdir = tempfile.mkdtemp(prefix="bench-collections-")
    try:
        bench_ours(args, x, metas, workdir)
        if not args.no_chroma:
            bench_chroma(args, x, metas, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
