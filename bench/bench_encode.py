"""Benchmark: text encoding throughput, POST /encode over REST and in process.

    nice python bench/bench_encode.py [--model DIR] [--batches 20] [--batch 500]

Two kinds of text, both from the Debian archive this machine already knows about
(``/var/lib/apt/lists/*Translation-en*``, else ``apt-cache dumpavail``; run
``apt-get update`` first if neither has long descriptions):

- short: a question per package, made of its one-line description
  ("which package is a fast array facility to the python 3 language?");
- long: the package's long description (several lines of technical prose, full of
  names, versions and jargon the vocabulary has never seen).

Why both: short questions are mostly vocabulary words, while long technical texts
carry many unseen tokens, each of which is synthesized from its spelling; that used
to cost a vocabulary scan per occurrence and made long texts ~20x slower.

For each kind, ``--batches`` distinct batches of ``--batch`` texts are sent as msgpack
to a fresh ``world2vec serve`` (one client, one request at a time), twice: the first
pass starts with nothing cached, the second sends the same batches again. The same
texts are then encoded in process (``Model.encode_texts``) on a freshly loaded model.
model2vec runs too when it is installed *and* a model of it is already on disk (it is
never downloaded): ``--model2vec DIR``, else one found in the Hugging Face cache.
Texts over 10,000 characters (the service's limit) are left out.
The machine may be shared: run under ``nice``, compare figures from one run only.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

# one BLAS thread, as ``world2vec serve`` sets it: on a small shared machine BLAS threads
# spinning against each other would halve the in-process figures (set before numpy loads)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # measure this checkout's code, in process and in the server
LAUNCH = "import sys; from world2vec.cli import main; sys.exit(main())"
WARM_UP = ["warm up the encoder: loads it, and builds the spelling index for zzkittycat"]


# -- texts ----------------------------------------------------------------------------
def _read_list(path: str) -> str:
    """Text of an apt list file, whatever it is compressed with."""
    if path.endswith(".lz4"):
        if not shutil.which("lz4cat"):
            return ""
        return subprocess.run(["lz4cat", path], capture_output=True, text=True,
                              errors="replace").stdout
    opener = {".gz": "gzip", ".xz": "lzma", ".bz2": "bz2"}.get(os.path.splitext(path)[1])
    if opener:
        module = __import__(opener)
        with module.open(path, "rt", encoding="utf-8", errors="replace") as fh:
            return fh.read()
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def _descriptions(text: str) -> list[tuple[str, str]]:
    """(one-line summary, long description) of every stanza with a Description field."""
    out = []
    for m in re.finditer(r"^Description(?:-en)?: (.*)\n((?: .*\n?)*)", text, re.M):
        lines = [line[1:] for line in m.group(2).splitlines()]
        body = " ".join("" if line.strip() == "." else line.strip() for line in lines)
        out.append((m.group(1).strip(), " ".join(body.split())))
    return out


def debian_texts(min_long_words: int = 40,
                 max_chars: int = 10_000) -> tuple[list[str], list[str]]:
    """Short questions and long descriptions of the archive's packages (deduplicated;
    none longer than the service accepts by default, 10,000 characters)."""
    pairs: list[tuple[str, str]] = []
    for path in sorted(glob.glob("/var/lib/apt/lists/*Translation-en*")):
        pairs += _descriptions(_read_list(path))
    if not pairs and shutil.which("apt-cache"):
        dump = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True,
                              errors="replace").stdout
        pairs = _descriptions(dump)
    seen: set[str] = set()
    short, long = [], []
    for summary, body in pairs:
        if body in seen:
            continue
        seen.add(body)
        short.append(f"which package is a {summary.rstrip('.').lower()}?")
        if len(body.split()) >= min_long_words and len(body) <= max_chars:
            long.append(body)
    return short, long


# -- the server -------------------------------------------------------------------------
def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str | None, threads: int, work: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    args = [sys.executable, "-c", LAUNCH, "serve", "--port", str(port), "--threads", str(threads),
            "--data", os.path.join(work, "data")]
    if model:
        args += ["--model", model]
    log = open(os.path.join(work, "server.log"), "w")
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return proc, url
        except Exception:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError("the server did not come up in 300 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def rest_pass(session, url: str, batches: list[list[str]]) -> float:
    """Texts per second of one pass over ``batches`` (one request at a time)."""
    import msgpack
    headers = {"Content-Type": "application/msgpack", "Accept": "application/msgpack"}
    bodies = [msgpack.packb({"texts": b}) for b in batches]
    t = time.perf_counter()
    for batch, body in zip(batches, bodies):
        resp = session.post(url + "/encode", data=body, headers=headers, timeout=600)
        if resp.status_code != 200:
            raise RuntimeError(f"/encode answered {resp.status_code}: {resp.text[:300]}")
        answer = msgpack.unpackb(resp.content)
        vectors = np.frombuffer(b"".join(answer["vectors"]), "<f4")
        assert vectors.size == len(batch) * answer["dim"]
    return sum(map(len, batches)) / (time.perf_counter() - t)


def in_process_pass(encode, batches: list[list[str]]) -> float:
    t = time.perf_counter()
    for batch in batches:
        encode(batch)
    return sum(map(len, batches)) / (time.perf_counter() - t)


def offline_model2vec() -> str | None:
    """A model2vec model already on disk (Hugging Face cache), or None; never downloads."""
    hub = os.path.join(os.environ.get("HF_HOME", os.path.expanduser("~/.cache/huggingface")), "hub")
    for path in sorted(glob.glob(os.path.join(hub, "models--*"))):
        snapshots = glob.glob(os.path.join(path, "snapshots", "*"))
        for snap in snapshots:
            if os.path.exists(os.path.join(snap, "model.safetensors")) and (
                    "potion" in path.lower() or "m2v" in path.lower() or "model2vec" in path.lower()):
                return snap
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="model directory (default: the bundled one)")
    ap.add_argument("--batch", type=int, default=500, help="texts per request")
    ap.add_argument("--batches", type=int, default=20, help="distinct batches per kind of text")
    ap.add_argument("--threads", type=int, default=2, help="server request threads")
    ap.add_argument("--kinds", default="short,long")
    ap.add_argument("--no-rest", action="store_true", help="in-process figures only")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--model2vec", default=None,
                    help="a model2vec model folder (bench_vectors.py's --cache keeps one, "
                         "distilled from MiniLM); default: one in the Hugging Face cache")
    args = ap.parse_args()

    short, long = debian_texts()
    if not long:
        print("no long package descriptions found: run apt-get update", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    pools = {"short": short, "long": long}
    batches = {}
    for kind in args.kinds.split(","):
        pool = pools[kind]
        take = rng.choice(len(pool), min(len(pool), args.batch * args.batches), replace=False)
        texts = [pool[i] for i in take]
        batches[kind] = [texts[s:s + args.batch] for s in range(0, len(texts), args.batch)]
        words = np.mean([len(t.split()) for t in texts])
        print(f"{kind:>5}: {len(texts)} texts ({len(batches[kind])} batches of {args.batch}), "
              f"{words:.0f} words per text on average", flush=True)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, niceness "
          f"{os.nice(0)} (a shared machine: compare figures from this run only)", flush=True)

    if not args.no_rest:
        import requests
        work = tempfile.mkdtemp(prefix="w2v-bench-encode-")
        try:
            for kind, bs in batches.items():
                proc, url = start_server(args.model, args.threads, work)
                try:
                    session = requests.Session()
                    t = time.perf_counter()
                    session.post(url + "/encode", json={"texts": WARM_UP},
                                 timeout=600).raise_for_status()
                    first = time.perf_counter() - t
                    cold = rest_pass(session, url, bs)
                    warm = rest_pass(session, url, bs)
                finally:
                    stop(proc)
                print(f"  REST /encode msgpack, {kind:>5}: {cold:8.0f} texts/s first pass, "
                      f"{warm:8.0f} texts/s again (first request, one text: {first:.1f} s)",
                      flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    from world2vec.embeddings import load_model
    for kind, bs in batches.items():
        model = load_model(args.model)
        model.encode_texts(WARM_UP)
        cold = in_process_pass(model.encode_texts, bs)
        warm = in_process_pass(model.encode_texts, bs)
        print(f"  in process encode_texts, {kind:>5}: {cold:8.0f} texts/s first pass, "
              f"{warm:8.0f} texts/s again", flush=True)

    snapshot = args.model2vec or offline_model2vec()
    try:
        from model2vec import StaticModel
    except ImportError:
        StaticModel = None
    if StaticModel is None or snapshot is None:
        print("  model2vec: skipped (" + ("not installed" if StaticModel is None else
              "no model of it on disk; this benchmark never downloads one") + ")")
    else:
        m2v = StaticModel.from_pretrained(snapshot)
        for kind, bs in batches.items():
            rate = in_process_pass(m2v.encode, bs)
            print(f"  model2vec {os.path.basename(snapshot)} in process, {kind:>5}: "
                  f"{rate:8.0f} texts/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
