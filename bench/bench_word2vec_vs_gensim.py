"""``world2vec train`` against gensim 4.x Word2Vec and FastText, side by side in one run.

What a user gets: each of our runs is the ``world2vec train`` command itself, a
subprocess with the CLI's defaults except the shared settings below, timed from
start to exit (interpreter start, imports, corpus reading, training, the n-gram
fit and saving the model directory). Each gensim run is its own subprocess too,
timed over ``build_vocab`` + ``train`` + ``save``. Engines and their peers:

  world2vec         ``--subwords fitted`` (the default)   vs gensim Word2Vec
  world2vec-none    ``--subwords none``                   vs gensim Word2Vec
  world2vec-joint   ``--subwords joint`` (fastText-style) vs gensim FastText

Shared settings: dim 100, window 5, negative 5, min-count 5, sample 1e-3,
3 epochs, 2 threads; FastText n-grams 3-6 in 200,000 buckets (our joint
default). Printed per mode (skip-gram, CBOW): wall seconds, words/s (corpus
tokens x epochs / wall seconds), the speed ratio against the peer (peer's
seconds / ours), peak RSS, WordSim-353 Spearman and analogy accuracy (3CosAdd,
30,000 most frequent words), all scored by world2vec's evaluation code on the
known words' vectors of every model.

Before timing, every world2vec mode trains once on a small slice of the corpus
(untimed), so numba's compiled kernels are in its on-disk cache as after any
first use, and the corpus file is read once so every engine finds it in the
page cache.

gensim is a bench-only peer (``pip install gensim``, or the ``bench`` extra);
the package and its tests never import it.

Default corpus: Webster 1913 (dict-gcide) paragraphs plus WordNet glosses,
tokenised by world2vec's tokenizer, every line kept with equal probability
down to --corpus-tokens (3M), written once to --work. Numbers on a shared
2-core machine are noisy: compare only figures from the same run.

    python bench/bench_word2vec_vs_gensim.py [--corpus FILE] [--modes skipgram cbow] [--repeat 1]
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
# engine -> (peer, extra `world2vec train` arguments); gensim engines have no peer.
# Run in this order, each engine next to its peer: load on a shared machine drifts
# within minutes, and neighbours in time meet about the same load.
ENGINES = {"world2vec": ("gensim-word2vec", []),
           "gensim-word2vec": (None, None),
           "world2vec-joint": ("gensim-fasttext", ["--subwords", "joint"]),
           "gensim-fasttext": (None, None),
           "world2vec-none": ("gensim-word2vec", ["--subwords", "none"])}


def dictionary_lines():
    """GCIDE paragraphs, then WordNet glosses, each as one tokenised line."""
    from world2vec.embeddings.words.tokenizer import Tokenizer

    tok = Tokenizer()
    gcide = "/usr/share/dictd/gcide.dict.dz"
    if os.path.exists(gcide):
        with gzip.open(gcide, "rt", encoding="utf-8", errors="replace") as f:
            data = re.sub(r"\[1913 Webster\]|\[PJC\]|\[Webster 1913 Suppl\.\]", "", f.read())
        for para in re.split(r"\n\s*\n", data):
            t = tok(para)
            if len(t) > 2:
                yield t
    for name in sorted(glob.glob("/usr/share/wordnet/data.*")):
        with open(name, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue
                t = tok(line.split("|", 1)[1])
                if t:
                    yield t


def build_corpus(path: str, max_tokens: int = 0) -> int:
    """Dictionary + gloss text, one paragraph/gloss per line, pre-tokenised; with
    ``max_tokens``, an even thinning of all lines (both sources) down to about that."""
    lines = list(dictionary_lines())
    total = sum(len(t) for t in lines)
    if total == 0:
        raise SystemExit("no corpus: install dict-gcide/wordnet-base or pass --corpus FILE")
    keep = min(1.0, max_tokens / total) if max_tokens else 1.0
    n = 0
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        for i, t in enumerate(lines):
            if int((i + 1) * keep) > int(i * keep):
                out.write(" ".join(t) + "\n")
                n += len(t)
    os.replace(tmp, path)
    return n


def count_tokens(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        return sum(len(line.split()) for line in f)


def evaluate(words, vectors, data_dir: str) -> dict:
    import numpy as np

    from world2vec.embeddings.words.evaluation import evaluate_analogies, evaluate_similarity
    from world2vec.embeddings.words.vectors import WordVectors

    wv = WordVectors(words, np.asarray(vectors, dtype=np.float32))
    out = {}
    q = os.path.join(data_dir, "questions-words.txt")
    s = os.path.join(data_dir, "wordsim353.tsv")
    if os.path.exists(q):
        r = evaluate_analogies(wv, q, restrict=30_000)
        out.update(analogy_add=r.accuracy_add, coverage=r.coverage)
    if os.path.exists(s):
        out.update(wordsim=evaluate_similarity(wv, s).spearman)
    return out


def gensim_worker(args: argparse.Namespace) -> None:
    """Train one gensim model in this process; print its timing and scores as one JSON line."""
    from gensim.models import FastText, Word2Vec
    from gensim.models.word2vec import LineSentence

    common = dict(vector_size=args.dim, window=args.window, negative=args.negative,
                  min_count=args.min_count, sample=args.sample, workers=args.threads,
                  sg=1 if args.mode == "skipgram" else 0, seed=args.seed)
    if args.worker == "gensim-fasttext":
        model = FastText(min_n=3, max_n=6, bucket=args.buckets, **common)
    else:
        model = Word2Vec(**common)
    out = tempfile.mkdtemp(prefix="gensim-", dir=args.work)
    started = time.perf_counter()
    model.build_vocab(LineSentence(args.corpus))
    model.train(LineSentence(args.corpus), total_examples=model.corpus_count, epochs=args.epochs)
    model.save(os.path.join(out, "model"))
    seconds = time.perf_counter() - started
    result = {"seconds": seconds, "vocab": len(model.wv.index_to_key)}
    result.update(evaluate(list(model.wv.index_to_key), model.wv.vectors, args.data))
    shutil.rmtree(out, ignore_errors=True)
    print("RESULT " + json.dumps(result), flush=True)


# Runs the measured command as its own child and reports that child's wall time and
# peak RSS. Why not fork it from the bench itself: Linux carries the forking process's
# peak RSS over into the child's (through fork and exec), so every engine would report
# at least the bench's own memory, which holds the models it has evaluated.
TRAMPOLINE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as f:
    json.dump({"seconds": seconds, "rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, f)
sys.exit(code)
"""


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run ``cmd``; (wall seconds, its own peak RSS in MB, stdout). Exits on failure."""
    with tempfile.TemporaryDirectory() as tmp:
        report, out, err = (os.path.join(tmp, name) for name in ("report.json", "out", "err"))
        with open(out, "w") as stdout, open(err, "w") as stderr:
            code = subprocess.call([sys.executable, "-c", TRAMPOLINE, report, *cmd],
                                   stdout=stdout, stderr=stderr, env=env)
        with open(out) as stdout, open(err) as stderr:
            output, errors = stdout.read(), stderr.read()
        if code:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{errors[-3000:]}")
        with open(report) as f:
            measured = json.load(f)
        return measured["seconds"], measured["rss_kb"] / 1024, output


def ours(args: argparse.Namespace, engine: str, mode: str, corpus: str, out: str) -> list[str]:
    return [sys.executable, "-m", "world2vec.cli", "train", "--corpus", corpus, "--out", out,
            "--mode", mode, "--dim", str(args.dim), "--epochs", str(args.epochs),
            "--window", str(args.window), "--negative", str(args.negative),
            "--min-count", str(args.min_count), "--sample", str(args.sample),
            "--threads", str(args.threads), "--seed", str(args.seed), "--quiet",
            *ENGINES[engine][1]]


def run_one(args: argparse.Namespace, engine: str, mode: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    if engine.startswith("gensim"):
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", engine, "--mode", mode,
               "--corpus", args.corpus, "--work", args.work, "--data", args.data,
               "--threads", str(args.threads), "--epochs", str(args.epochs),
               "--dim", str(args.dim), "--window", str(args.window),
               "--negative", str(args.negative), "--min-count", str(args.min_count),
               "--sample", str(args.sample), "--buckets", str(args.buckets),
               "--seed", str(args.seed)]
        _, rss, stdout = timed(cmd, env)
        line = next(s for s in stdout.splitlines() if s.startswith("RESULT "))
        result = json.loads(line[7:])
    else:
        import numpy as np

        from world2vec.embeddings.words.vectors import WordVectors

        out = tempfile.mkdtemp(prefix="w2v-", dir=args.work)
        shutil.rmtree(out)
        seconds, rss, _ = timed(ours(args, engine, mode, args.corpus, out), env)
        wv = WordVectors.load(out)
        result = {"seconds": seconds, "vocab": len(wv),
                  "ngram_fit_s": wv.settings.get("ngram_fit", {}).get("seconds")}
        result.update(evaluate(wv.words, np.asarray(wv.vectors), args.data))
        shutil.rmtree(out, ignore_errors=True)
    result.update(engine=engine, mode=mode, rss_mb=rss,
                  words_per_s=args.tokens * args.epochs / result["seconds"])
    return result


def warm_up(args: argparse.Namespace, engines: list[str]) -> None:
    """Untimed: fill numba's kernel cache (every mode) and the page cache (the corpus)."""
    small = os.path.join(args.work, "warm-up.txt")
    with open(args.corpus, encoding="utf-8") as f, open(small, "w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            if i < 5000:
                out.write(line)
    for engine in engines:
        if engine.startswith("world2vec"):
            for mode in args.modes:
                out = os.path.join(args.work, f"warm-{engine}-{mode}")
                shutil.rmtree(out, ignore_errors=True)
                cmd = ours(args, engine, mode, small, out)
                cmd[cmd.index("--epochs") + 1] = "1"
                timed(cmd, {**os.environ, "PYTHONPATH": ROOT})
                shutil.rmtree(out, ignore_errors=True)


def table(rows: list[dict]) -> str:
    head = (f"{'mode':8s} {'engine':16s} {'wall s':>7s} {'words/s':>9s} {'vs peer':>16s} "
            f"{'RSS MB':>7s} {'WS353':>6s} {'analogy':>8s}")
    lines = [head, "-" * len(head)]
    by_key = {(r["mode"], r["engine"]): r for r in rows}
    for r in rows:
        peer = ENGINES[r["engine"]][0]
        versus = ""
        if peer and (r["mode"], peer) in by_key:
            p = by_key[(r["mode"], peer)]
            versus = f"{p['seconds'] / r['seconds']:.2f}x {peer.split('-')[1]}"
        lines.append(f"{r['mode']:8s} {r['engine']:16s} {r['seconds']:7.1f} "
                     f"{r['words_per_s'] / 1e3:8.0f}k {versus:>16s} {r['rss_mb']:7.0f} "
                     f"{r.get('wordsim', float('nan')):6.3f} {r.get('analogy_add', float('nan')):8.1%}")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", help="one sentence per line (default: build from GCIDE + WordNet)")
    p.add_argument("--corpus-tokens", type=int, default=3_000_000,
                   help="thin the built corpus to about this many tokens, 0: all (default: 3M)")
    p.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "world2vec-bench"))
    p.add_argument("--data", default=DEFAULT_DATA if os.path.isdir(DEFAULT_DATA)
                   else "/work/shared/data", help="folder with questions-words.txt, wordsim353.tsv")
    p.add_argument("--modes", nargs="+", default=["skipgram", "cbow"], choices=["skipgram", "cbow"])
    p.add_argument("--engines", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--buckets", type=int, default=200_000, help="gensim FastText's n-gram buckets")
    p.add_argument("--repeat", type=int, default=1,
                   help="side-by-side rounds, round r with seed --seed + r (every engine); "
                        "the engine order reverses every other round")
    p.add_argument("--seed", type=int, default=1, help="seed of the first round (default: 1)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--mode", help=argparse.SUPPRESS)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    if args.worker:
        gensim_worker(args)
        return
    if args.corpus is None:
        suffix = f"-{args.corpus_tokens}" if args.corpus_tokens else ""
        args.corpus = os.path.join(args.work, f"gcide-wordnet{suffix}.txt")
        if not os.path.exists(args.corpus):
            print("building corpus from GCIDE + WordNet ...", flush=True)
            build_corpus(args.corpus, args.corpus_tokens)
    args.tokens = count_tokens(args.corpus)
    print(f"corpus {args.corpus}: {args.tokens:,} tokens; dim {args.dim}, window {args.window}, "
          f"negative {args.negative}, min-count {args.min_count}, sample {args.sample}, "
          f"{args.epochs} epochs, {args.threads} threads, FastText buckets {args.buckets:,}",
          flush=True)
    warm_up(args, args.engines)
    rows = []
    first_seed = args.seed
    for round_ in range(max(1, args.repeat)):
        args.seed = first_seed + round_
        for mode in args.modes:
            engines = args.engines if round_ % 2 == 0 else list(reversed(args.engines))
            for engine in engines:
                rows.append(run_one(args, engine, mode))
                r = rows[-1]
                print(f"  {mode} {engine}: {r['seconds']:.1f} s, WS353 {r.get('wordsim', 0):.3f}"
                      f" (load avg {os.getloadavg()[0]:.1f})", flush=True)
    print()
    print(table(sorted(rows, key=lambda r: (args.modes.index(r["mode"]),
                                            list(ENGINES).index(r["engine"])))))
    if args.repeat > 1:
        print()
        print(mean_table(rows, args.modes))


def mean_table(rows: list[dict], modes: list[str]) -> str:
    """Each engine's mean over the rounds (seeds): wall seconds, WordSim-353, and the gap
    in WordSim-353 to its peer's mean (one seed's score moves by about 0.01-0.02)."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["mode"], r["engine"]), []).append(r)
    mean = {k: (sum(r["seconds"] for r in g) / len(g),
                sum(r.get("wordsim", float("nan")) for r in g) / len(g), len(g))
            for k, g in groups.items()}
    lines = [f"{'mode':8s} {'engine':16s} {'rounds':>6s} {'mean s':>7s} {'vs peer':>8s} "
             f"{'mean WS353':>10s} {'WS - peer':>9s}"]
    for (mode, engine), (seconds, ws, n) in sorted(
            mean.items(), key=lambda kv: (modes.index(kv[0][0]), list(ENGINES).index(kv[0][1]))):
        peer = ENGINES[engine][0]
        versus, gap = "", ""
        if peer and (mode, peer) in mean:
            versus = f"{mean[(mode, peer)][0] / seconds:.2f}x"
            gap = f"{ws - mean[(mode, peer)][1]:+.3f}"
        lines.append(f"{mode:8s} {engine:16s} {n:6d} {seconds:7.1f} {versus:>8s} {ws:10.3f} {gap:>9s}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
