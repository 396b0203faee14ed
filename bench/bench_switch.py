"""A live model switch on a real server: how fast the memory is re-encoded, and what readers
and writers see meanwhile.

    python bench/bench_switch.py [--items 100000] [--notes N] [--readers 3] [--seconds 6]
                                 [--threads 4]

Steps: N memories (eight words each, drawn from the bundled model's vocabulary) are
loaded with ``world2vec load``; ``world2vec serve`` starts on them (gunicorn, one process,
``--threads`` request threads), and ``--notes`` more (default a tenth of ``--items``) go
into a collection ``notes`` bound to the model, which the switch re-encodes too; readers
(``--readers`` threads, each in a loop: POST /search with a stored item's own text,
GET /similar for a word) run through four phases:

* idle: nothing else happens, ``--seconds`` long;
* training: ``POST /models/train`` continues the bundled model on 2,000 sentences
  (bench_continued.py's text) in its own niced one-thread process;
* switch: ``POST /models/<new>/activate`` re-encodes every item (``default``'s and
  ``notes``') into new stores and switches; a writer adds one memory every 50 ms
  throughout, so the moment writes wait for the switch shows;
* after: the new model serves, ``--seconds`` long.

It prints per phase the requests, throughput, latency percentiles, failures (an error
status or a broken connection) and searches whose first hit is not the item whose text
was asked ("not first": an answer mixing the old model with the new vectors would show
here; so does an approximate index's miss, HNSW being built once the memory is this
large), then the switch's own figures
(re-encoded items per second, how long writes were held), and checks that every item is
stored and a sample of each collection is found first by its own text.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_continued import new_text

KEY = "bench-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
LAUNCH = "import sys; from world2vec.cli import main; sys.exit(main())"


def make_items(n: int, seed: int = 0) -> tuple[list[dict], list[str]]:
    from world2vec.embeddings import load_model
    words = load_model(None).words.words[100:20000]
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(words), size=(n, 8))
    return [{"id": f"b{i:06d}", "text": " ".join(words[j] for j in row)}
            for i, row in enumerate(picks)], words[:2000]


def start(data: str, threads: int, log_path: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "WORLD2VEC_API_KEY": KEY}
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, "serve", "--port", str(port), "--data",
                             data, "--threads", str(threads)], stdout=log, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(url + "/health", timeout=5).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"the server did not start; see {log_path}")


class Phase:
    """Readers in a loop until ``done()`` and at least ``seconds``; latencies in ms."""

    def __init__(self, url: str, items: list[dict], words: list[str], readers: int) -> None:
        self.url, self.items, self.words, self.readers = url, items, words, readers

    def run(self, seconds: float, done=lambda: True) -> dict:
        stop = threading.Event()
        latencies: list[float] = []
        failures: list[str] = []
        misses: list[str] = []     # own text answered, but another item first
        lock = threading.Lock()

        def reader(k: int) -> None:
            rng = np.random.default_rng(1000 + k)
            session = requests.Session()
            while not stop.is_set():
                item = self.items[int(rng.integers(len(self.items)))]
                for kind in ("search", "similar"):
                    tick = time.perf_counter()
                    try:
                        if kind == "search":
                            r = session.post(self.url + "/search", json={"text": item["text"],
                                                                          "k": 5}, timeout=60)
                            first = r.json()["results"][0]["id"] if r.status_code == 200 else None
                        else:
                            word = self.words[int(rng.integers(len(self.words)))]
                            r = session.get(self.url + "/similar", params={"concept": word,
                                                                           "k": 10}, timeout=60)
                            first = item["id"]
                        problem = None if r.status_code == 200 else f"{kind} {r.status_code} {r.text[:120]}"
                    except requests.RequestException as exc:
                        problem, first = f"{kind}: {exc}", item["id"]
                    with lock:
                        latencies.append(1000 * (time.perf_counter() - tick))
                        if problem:
                            failures.append(problem)
                        elif first != item["id"]:
                            misses.append(item["id"])

        threads = [threading.Thread(target=reader, args=(k,)) for k in range(self.readers)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        while time.perf_counter() - began < seconds or not done():
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        ms = np.array(latencies) if latencies else np.zeros(1)
        return {"requests": len(latencies), "seconds": round(elapsed, 2),
                "per_second": round(len(latencies) / elapsed, 1),
                "p50_ms": round(float(np.percentile(ms, 50)), 1),
                "p95_ms": round(float(np.percentile(ms, 95)), 1),
                "p99_ms": round(float(np.percentile(ms, 99)), 1),
                "max_ms": round(float(ms.max()), 1), "failures": len(failures),
                "first_failures": failures[:3], "not_first": len(misses)}


def job_done(url: str, job: str, box: dict):
    def check() -> bool:
        box["job"] = requests.get(f"{url}/jobs/{job}", timeout=60).json()
        return box["job"]["state"] in ("done", "failed")
    return check


def writer(url: str, stop: threading.Event, out: dict) -> None:
    latencies, n = [], 0
    while not stop.is_set():
        tick = time.perf_counter()
        item = {"id": f"w{n:05d}", "text": f"a note written during the switch, number {n}"}
        r = requests.post(url + "/memories", headers=AUTH, timeout=120, json={"items": [item]})
        latencies.append(1000 * (time.perf_counter() - tick))
        out["failures"] = out.get("failures", 0) + (r.status_code != 200)
        n += 1
        time.sleep(0.05)
    out.update(writes=n, p50_ms=round(float(np.percentile(latencies, 50)), 1),
               max_ms=round(float(max(latencies)), 1))


def not_found_first(url: str, scope: str, items: list[dict], sample: int = 200) -> int:
    """How many of a sample of ``items`` their own text does not find first."""
    if not items:
        return 0
    picks = np.random.default_rng(5).choice(len(items), min(sample, len(items)), replace=False)
    return int(sum(requests.post(url + scope + "/search", json={"text": items[i]["text"], "k": 1},
                                 timeout=60).json()["results"][0]["id"] != items[i]["id"]
                   for i in picks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--notes", type=int, default=None,
                        help="items in a second collection bound to the model (default: items/10)")
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="bench-switch-")
    data, report = os.path.join(root, "data"), {"items": args.items, "readers": args.readers,
                                                "cpus": os.cpu_count()}
    items, words = make_items(args.items)
    notes = [dict(item, id="n" + item["id"]) for item in
             make_items(args.items // 10 if args.notes is None else args.notes, seed=1)[0]]
    path = os.path.join(root, "items.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(item) + "\n" for item in items)
    tick = time.perf_counter()
    subprocess.run([sys.executable, "-c", LAUNCH, "load", "--data", data, path], check=True,
                   stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    report["load_items_per_second"] = round(args.items / (time.perf_counter() - tick))
    proc, url = start(data, args.threads, os.path.join(root, "server.log"))
    try:
        requests.post(url + "/collections", headers=AUTH, json={"name": "notes"},
                      timeout=60).raise_for_status()
        for start_at in range(0, len(notes), 500):
            requests.post(url + "/collections/notes/memories", headers=AUTH, timeout=120,
                          json={"items": notes[start_at:start_at + 500]}).raise_for_status()
        phase = Phase(url, items, words, args.readers)
        report["idle"] = phase.run(args.seconds)
        box: dict = {}
        r = requests.post(url + "/models/train", headers=AUTH, timeout=60,
                          json={"name": "bench-continued", "texts": new_text(2000)})
        report["training"] = phase.run(args.seconds, job_done(url, r.json()["job"], box))
        report["training_job"] = {k: box["job"]["result"][k] for k in
                                  ("new_words", "neighbour_overlap", "training_seconds")} \
            if box["job"]["state"] == "done" else box["job"]
        report["training_job"]["job_seconds"] = round(box["job"]["finished_at"]
                                                      - box["job"]["created_at"], 1)
        stop, written = threading.Event(), {}
        w = threading.Thread(target=writer, args=(url, stop, written))
        r = requests.post(url + "/models/bench-continued/activate", headers=AUTH, timeout=60,
                          json={"force": True})
        w.start()
        report["switch"] = phase.run(0.0, job_done(url, r.json()["job"], box))
        stop.set()
        w.join()
        report["writes_during_switch"] = written
        result = box["job"].get("result") or box["job"]
        report["switch_job"] = result
        if box["job"]["state"] == "done":
            report["reencode_items_per_second"] = round(result["items"] / result["reencode_seconds"])
        report["after"] = phase.run(args.seconds)
        health = requests.get(url + "/health", timeout=60).json()
        report["check"] = {"model": health["model"], "items": health["items"],
                           "expected": args.items + written["writes"],
                           "notes": health["collections"]["notes"], "notes_expected": len(notes),
                           "sample_not_found_first": not_found_first(url, "", items),
                           "notes_sample_not_found_first": not_found_first(
                               url, "/collections/notes", notes)}
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    print(f"{args.items:,} items, {args.readers} readers, {args.threads} request threads, "
          f"{report['cpus']} CPUs; world2vec load: {report['load_items_per_second']:,} items/s")
    print(f"{'phase':>9} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>8} {'failed':>6} {'not first':>9}")
    for name in ("idle", "training", "switch", "after"):
        p = report[name]
        print(f"{name:>9} {p['requests']:>9} {p['per_second']:>7} {p['p50_ms']:>7} {p['p95_ms']:>7} "
              f"{p['p99_ms']:>7} {p['max_ms']:>8} {p['failures']:>6} {p['not_first']:>9}")
    print("training job:", report["training_job"])
    print("switch job:", {k: v for k, v in report["switch_job"].items() if k != "stores"},
          report["switch_job"].get("stores"))
    print(f"re-encoding: {report.get('reencode_items_per_second', 'n/a')} items/s; writes during "
          f"the switch: {report['writes_during_switch']}")
    print("check:", report["check"])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
