"""Benchmark: world2vec's GET /similar under loopback load, beside its ceiling and chromadb.

What it measures, side by side in one run (numbers on a shared 2-core machine are
noisy, +-15-25 %: compare only within one run):

1. ``world2vec serve`` holding N items (default 100k, dim 100): requests/s and p50/p99
   latency of ``GET /similar?id=<random item>&k=10`` under a bounded load (wrk when
   installed, else a Python load generator), per index kind (``--index flat,hnsw``:
   exact, and HNSW with the memory's defaults M 32 / efSearch by size), unfiltered and with a tag
   filter selecting ~10 % of the items.
2. The ceiling: a minimal Flask + FAISS app doing the same search on the same index
   kind (look the id's vector up, search k+1, drop the query) under the *same*
   gunicorn settings (1 process, gthread, same threads, OMP_NUM_THREADS=1), loaded in
   alternating rounds with ours. Printed as a ratio.
3. chromadb's server holding the same vectors, if a ``chroma`` executable is found
   (``--chroma-bin``; install it in its own venv, never into the project).
4. POST /encode of 1,000 concepts: payload size and time in JSON vs msgpack.

    python bench/bench_service.py --items 100000 --duration 10
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCH = "import sys; from world2vec.cli import main; sys.exit(main())"


# -- the ceiling app (imported by gunicorn in its own process) -------------------------
def ceiling_app():
    """Minimal Flask + FAISS: the least any service doing this search must spend."""
    import faiss
    from flask import Flask, jsonify, request

    vectors = np.load(os.environ["W2V_BENCH_VECTORS"])
    ids = [f"item-{i}" for i in range(len(vectors))]
    row_of = {item_id: i for i, item_id in enumerate(ids)}
    if os.environ.get("W2V_BENCH_INDEX") == "hnsw":  # the memory's defaults: M 32, efC 64,
        from world2vec.memory.indexes import IndexConfig, ef_search_for  # efSearch by size
        index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 64
        index.hnsw.efSearch = ef_search_for(IndexConfig("hnsw"), len(vectors))
    else:
        index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    app = Flask("ceiling")

    @app.get("/similar")
    def similar():
        row = row_of[request.args["id"]]
        k = int(request.args.get("k", 10))
        scores, rows = index.search(vectors[row:row + 1], k + 1)
        results = [{"id": ids[r], "score": float(s)} for s, r in zip(scores[0], rows[0])
                   if r != row and r >= 0][:k]
        return jsonify({"results": results})

    return app


# -- helpers ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def make_vectors(n: int, dim: int, seed: int = 1) -> np.ndarray:
    """Clustered unit vectors (like real embeddings: not uniform on the sphere)."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((max(1, n // 1000), dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 50_000):
        m = min(50_000, n - start)
        out[start:start + m] = centers[rng.integers(0, len(centers), m)] \
            + 0.6 * rng.standard_normal((m, dim)).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def build_model(path: str, dim: int) -> str:
    """A random-vector model directory (only its dim and vocabulary matter here)."""
    from world2vec.embeddings.model import Model
    from world2vec.embeddings.words.vectors import WordVectors
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(5000)]
    wv = WordVectors(words, rng.standard_normal((5000, dim)).astype(np.float32),
                     np.arange(5000, 0, -1), name=f"bench-random-{dim}")
    return Model(wv).save(path, dtype="float32")


def build_memory(data: str, vectors: np.ndarray) -> None:
    from world2vec.engine.progress import Progress
    from world2vec.memory import MemoryStore
    n = len(vectors)
    store = MemoryStore.open(data, vectors.shape[1], "flat", background=False)
    with Progress(n, "loading memory", "items") as bar:
        for start in range(0, n, 10_000):
            stop_ = min(n, start + 10_000)
            store.add([{"id": f"item-{i}", "vector": vectors[i], "kind": "fact",
                        "tags": [f"t{i % 10}"]} for i in range(start, stop_)])
            bar.update(stop_ - start)
    store.close()


# -- load generation ----------------------------------------------------------------------
WRK_SCRIPT = """
math.randomseed(%(seed)d)
request = function()
  return wrk.format("GET", "%(path)s" .. math.random(0, %(n)d - 1) .. "%(suffix)s")
end
"""
WRK_POST_SCRIPT = """
bodies = {%(bodies)s}
math.randomseed(%(seed)d)
request = function()
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json"},
                    bodies[math.random(1, #bodies)])
end
"""


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(url: str, script: str, duration: int, connections: int, work: str) -> dict:
    path = os.path.join(work, f"wrk-{random.randrange(1 << 30)}.lua")
    with open(path, "w") as fh:
        fh.write(script)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
                          "-s", path, url], capture_output=True, text=True, timeout=duration + 60)
    text = out.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", text).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", text).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": int(non2xx.group(1)) if non2xx else 0}


def _py_worker(host, port, paths, duration, queue):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    lat, errors = [], 0
    end = time.perf_counter() + duration
    i = 0
    while time.perf_counter() < end:
        t = time.perf_counter()
        conn.request("GET", paths[i % len(paths)])
        resp = conn.getresponse()
        resp.read()
        errors += resp.status != 200
        lat.append(time.perf_counter() - t)
        i += 1
    queue.put((lat, errors))


def run_python_load(url: str, paths: list[str], duration: int, connections: int) -> dict:
    host, port = url.split("//")[1].split(":")
    queue = mp.Queue()
    procs = [mp.Process(target=_py_worker, args=(host, int(port), paths[c::connections] or paths,
                                                 duration, queue)) for c in range(connections)]
    for p in procs:
        p.start()
    lat, errors = [], 0
    for _ in procs:
        latencies, e = queue.get()
        lat += latencies
        errors += e
    for p in procs:
        p.join()
    lat.sort()
    return {"rps": len(lat) / duration, "p50": 1000 * lat[len(lat) // 2],
            "p99": 1000 * lat[int(len(lat) * 0.99)], "errors": errors}


def load(url: str, path_prefix: str, suffix: str, n: int, args, work: str) -> dict:
    # warm up (first requests pay for lazy imports and page faults)
    for i in range(20):
        urllib.request.urlopen(f"{url}{path_prefix}{i}{suffix}", timeout=30).read()
    if shutil.which("wrk") and not args.python_load:
        script = WRK_SCRIPT % {"seed": 7, "path": path_prefix, "n": n, "suffix": suffix}
        return run_wrk(url, script, args.duration, args.connections, work)
    rng = random.Random(7)
    paths = [f"{path_prefix}{rng.randrange(n)}{suffix}" for _ in range(5000)]
    return run_python_load(url, paths, args.duration, args.connections)


def combine(runs: list[dict]) -> dict:
    """Several rounds as one figure: mean throughput, median latencies, summed errors."""
    return {"rps": statistics.mean(r["rps"] for r in runs),
            "p50": statistics.median(r["p50"] for r in runs),
            "p99": statistics.median(r["p99"] for r in runs),
            "errors": sum(r["errors"] for r in runs)}


def show(name: str, r: dict) -> None:
    print(f"  {name:<44} {r['rps']:8.1f} req/s   p50 {r['p50']:7.2f} ms   p99 {r['p99']:7.2f} ms"
          + (f"   ({r['errors']} non-200!)" if r.get("errors") else ""), flush=True)


# -- chromadb (optional peer) --------------------------------------------------------------
CHROMA_LOADER = """
import sys, numpy as np, chromadb
port, path = int(sys.argv[1]), sys.argv[2]
v = np.load(path)
c = chromadb.HttpClient(host="127.0.0.1", port=port)
col = c.create_collection("bench", metadata={"hnsw:space": "ip"})
for s in range(0, len(v), 5000):
    e = min(len(v), s + 5000)
    col.add(ids=[f"item-{i}" for i in range(s, e)], embeddings=v[s:e].tolist(),
            metadatas=[{"tag": f"t{i % 10}"} for i in range(s, e)])
print(col.id)
"""


def bench_chroma(args, vectors: np.ndarray, vec_path: str, work: str) -> None:
    chroma = args.chroma_bin or shutil.which("chroma")
    if not chroma or not os.path.exists(chroma):
        print("  chromadb: not installed (give --chroma-bin PATH to compare)")
        return
    python = os.path.join(os.path.dirname(chroma), "python")
    port = free_port()
    proc = subprocess.Popen([chroma, "run", "--path", os.path.join(work, "chroma"), "--host",
                             "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_up(url + "/api/v2/heartbeat", proc, 120)
        t = time.perf_counter()
        out = subprocess.run([python, "-c", CHROMA_LOADER, str(port), vec_path],
                             capture_output=True, text=True, timeout=1800)
        if out.returncode:
            print("  chromadb: loading failed:", out.stderr.strip().splitlines()[-1:])
            return
        col = out.stdout.strip().splitlines()[-1]
        print(f"  chromadb ingest of {len(vectors)} vectors: {time.perf_counter() - t:.1f} s")
        path = (f"/api/v2/tenants/default_tenant/databases/default_database/collections/"
                f"{col}/query")
        rng = np.random.default_rng(3)
        rows = rng.integers(0, len(vectors), 300)
        for name, where in (("chromadb server, by vector", None),
                            ("chromadb server, metadata filter (10 %)", {"tag": "t3"})):
            bodies = []
            for r in rows:
                body = {"query_embeddings": [vectors[r].round(6).tolist()],
                        "n_results": args.k + 1, "include": ["distances"]}
                if where:
                    body["where"] = where
                bodies.append("[==[" + json.dumps(body) + "]==]")  # JSON holds "]]"
            script = WRK_POST_SCRIPT % {"bodies": ",".join(bodies), "seed": 7, "path": path}
            if shutil.which("wrk") and not args.python_load:
                show(name, run_wrk(url, script, args.duration, args.connections, work))
            else:
                print(f"  {name}: needs wrk for POST bodies")
    finally:
        stop(proc)


def compare_with_ceiling(args, kind: str, model: str, data: str, vec_path: str, work: str,
                         env: dict) -> None:
    """world2vec serve and the ceiling app on the same index kind, loaded in alternating
    rounds, so a change in the machine's background load hits both sides alike."""
    print(f"  -- index: {kind} --", flush=True)
    port = free_port()
    ours_url = f"http://127.0.0.1:{port}"
    ours = subprocess.Popen([sys.executable, "-c", LAUNCH, "serve", "--model", model, "--data",
                             data, "--port", str(port), "--workers", str(args.threads)],
                            env={**env, "WORLD2VEC_INDEX": kind}, start_new_session=True,
                            stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, f"w2v-{kind}.log"), "w"))
    port = free_port()
    ceil_url = f"http://127.0.0.1:{port}"
    ceiling = subprocess.Popen([sys.executable, "-m", "gunicorn", "--chdir", HERE, "-w", "1",
                                "-k", "gthread", "--threads", str(args.threads), "-b",
                                f"127.0.0.1:{port}", "--no-control-socket", "--timeout", "600",
                                "bench_service:ceiling_app()"],
                               env={**env, "W2V_BENCH_VECTORS": vec_path,
                                    "W2V_BENCH_INDEX": kind},
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    flt = urllib.request.quote(json.dumps({"tags": {"any": ["t3"]}}))
    runs: dict[str, list[dict]] = {"ours": [], "ceiling": [], "ours_f": []}
    try:
        wait_up(ours_url + "/health", ours)
        t = time.perf_counter()
        wait_index(ours_url, args.items, kind)
        if kind != "flat":
            print(f"  world2vec's {kind} index covers all items after "
                  f"{time.perf_counter() - t:.1f} s more (built in the background)")
        wait_up(ceil_url + "/similar?id=item-0", ceiling, 900)
        for _ in range(args.rounds):
            runs["ours"].append(load(ours_url, "/similar?id=item-", f"&k={args.k}", args.items,
                                     args, work))
            runs["ceiling"].append(load(ceil_url, "/similar?id=item-", f"&k={args.k}",
                                        args.items, args, work))
        runs["ours_f"].append(load(ours_url, "/similar?id=item-", f"&k={args.k}&filter={flt}",
                                   args.items, args, work))
        results = {name: combine(rs) for name, rs in runs.items()}
        show(f"world2vec serve  GET /similar?id= ({kind})", results["ours"])
        show(f"ceiling: Flask + FAISS {kind}, same gunicorn", results["ceiling"])
        print(f"  ratio world2vec / ceiling ({kind}): "
              f"{results['ours']['rps'] / results['ceiling']['rps']:.2f} (target >= 0.9; "
              f"{args.rounds} alternating rounds of {args.duration} s each)")
        show("world2vec serve  ... &filter=tags any t3 (10 %)", results["ours_f"])
        if kind == args.index.split(",")[0]:
            bench_encode(ours_url, model)
    finally:
        stop(ours)
        stop(ceiling)


def wait_index(url: str, items: int, kind: str, timeout: float = 900) -> None:
    """Wait until the server's approximate index covers every item (read from /metrics)."""
    if kind == "flat":
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = urllib.request.urlopen(url + "/metrics", timeout=30).read().decode()
        m = re.search(r'world2vec_index_covered_items\{index="(\w+)"\} (\d+)', text)
        if m and m.group(1) == kind and int(m.group(2)) >= items:
            return
        time.sleep(1)
    raise RuntimeError(f"the {kind} index did not cover {items} items in {timeout} s")


# -- main ---------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    ap.add_argument("--rounds", type=int, default=3,
                    help="alternating rounds of load on world2vec and the ceiling")
    ap.add_argument("--connections", type=int, default=8, help="concurrent client connections")
    ap.add_argument("--threads", type=int, default=4, help="server request threads (both apps)")
    ap.add_argument("--index", default="flat,hnsw",
                    help="index kinds to compare, comma-separated (flat = exact; hnsw: M 32, "
                         "efSearch by size as the memory's defaults: 64 up to 100k)")
    ap.add_argument("--python-load", action="store_true", help="use the Python load generator "
                    "even when wrk is installed")
    ap.add_argument("--chroma-bin", default=None, help="path of a chroma executable (own venv)")
    ap.add_argument("--work", default=None, help="work directory (default: a temporary one)")
    args = ap.parse_args()

    work = args.work or tempfile.mkdtemp(prefix="w2v-bench-service-")
    os.makedirs(work, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    print(f"world2vec service benchmark: {args.items} items, dim {args.dim}, k {args.k}, "
          f"{args.connections} connections x {args.duration} s, {args.threads} server threads, "
          f"load by {'wrk' if shutil.which('wrk') and not args.python_load else 'Python'}; "
          f"{os.cpu_count()} cores (shared: compare within this run only)", flush=True)

    vectors = make_vectors(args.items, args.dim)
    vec_path = os.path.join(work, "vectors.npy")
    np.save(vec_path, vectors)
    model = build_model(os.path.join(work, "model"), args.dim)
    data = os.path.join(work, "data")
    t = time.perf_counter()
    build_memory(data, vectors)
    print(f"  memory built (MemoryStore, WAL + snapshot) in {time.perf_counter() - t:.1f} s")

    for kind in args.index.split(","):
        compare_with_ceiling(args, kind.strip(), model, data, vec_path, work, env)

    # 3. chromadb
    bench_chroma(args, vectors, vec_path, work)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def bench_encode(url: str, model: str) -> None:
    """POST /encode of 1,000 concepts: bytes on the wire and time, JSON vs msgpack."""
    import msgpack
    import requests
    words = [line.strip() for line in open(os.path.join(model, "words.txt"))][:1000]
    session = requests.Session()
    for fmt in ("json", "msgpack"):
        if fmt == "json":
            data, headers = json.dumps({"concepts": words}), {"Content-Type": "application/json"}
        else:
            data = msgpack.packb({"concepts": words})
            headers = {"Content-Type": "application/msgpack", "Accept": "application/msgpack"}
        times = []
        for _ in range(7):
            t = time.perf_counter()
            resp = session.post(url + "/encode", data=data, headers=headers, timeout=60)
            body = resp.json() if fmt == "json" else msgpack.unpackb(resp.content)
            vecs = (np.asarray(body["vectors"], dtype=np.float32) if fmt == "json" else
                    np.frombuffer(b"".join(body["vectors"]), "<f4").reshape(len(words), -1))
            times.append(time.perf_counter() - t)
            assert vecs.shape[0] == len(words)
        print(f"  POST /encode 1,000 vectors, {fmt:<7}: answer {len(resp.content) / 1024:8.1f} KiB,"
              f" {1000 * statistics.median(times):6.1f} ms (median of 7, decode included)")


if __name__ == "__main__":
    sys.exit(main())
