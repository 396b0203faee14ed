"""world2vec's word2vec trainer against gensim 4.x, side by side in one run.

Same corpus, same settings (dim 100, window 5, negative 5, min-count 5,
sample 1e-3, 5 epochs, 2 threads by default), for skip-gram and CBOW. Each
engine trains in its own subprocess so peak RSS is its own. Printed per run:
training words/s (raw corpus tokens x epochs / training seconds; vocabulary
building is timed separately), peak RSS, analogy accuracy (3CosAdd, 30,000
most frequent words, coverage) and WordSim-353 Spearman, both scored by
world2vec's evaluation code on both models, then the ratios.

gensim is installed by hand for this script only (``pip install gensim``);
the package and its tests never import it.

Default corpus: Webster 1913 (dict-gcide) paragraphs plus WordNet glosses,
tokenised by world2vec's tokenizer and written once to --work (about 6.7M
tokens). Numbers on a shared 2-core machine are noisy: compare only figures
from the same run.

    python bench/bench_word2vec_vs_gensim.py [--corpus FILE] [--modes skipgram cbow] [--repeat 3]
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data"))


def build_corpus(path: str) -> int:
    """Dictionary + gloss text, one paragraph/gloss per line, pre-tokenised."""
    from world2vec.embeddings.words.tokenizer import Tokenizer

    tok = Tokenizer()
    n = 0
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        gcide = "/usr/share/dictd/gcide.dict.dz"
        if os.path.exists(gcide):
            with gzip.open(gcide, "rt", encoding="utf-8", errors="replace") as f:
                data = re.sub(r"\[1913 Webster\]|\[PJC\]|\[Webster 1913 Suppl\.\]", "", f.read())
            for para in re.split(r"\n\s*\n", data):
                t = tok(para)
                if len(t) > 2:
                    out.write(" ".join(t) + "\n")
                    n += len(t)
        for name in sorted(glob.glob("/usr/share/wordnet/data.*")):
            with open(name, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("  ") or "|" not in line:
                        continue
                    t = tok(line.split("|", 1)[1])
                    if t:
                        out.write(" ".join(t) + "\n")
                        n += len(t)
    if n == 0:
        raise SystemExit("no corpus: install dict-gcide/wordnet-base or pass --corpus FILE")
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
        out.update(analogy_add=r.accuracy_add, analogy_mul=r.accuracy_mul, coverage=r.coverage)
    if os.path.exists(s):
        r = evaluate_similarity(wv, s)
        out.update(wordsim=r.spearman, wordsim_oov=r.oov)
    return out


def worker(args: argparse.Namespace) -> None:
    """Train one engine in this process and print one JSON line."""
    tokens = args.tokens
    common = dict(dim=args.dim, window=args.window, negative=args.negative,
                  min_count=args.min_count, sample=args.sample, epochs=args.epochs)
    started = time.perf_counter()
    if args.worker == "gensim":
        from gensim.models import Word2Vec
        from gensim.models.word2vec import LineSentence

        model = Word2Vec(vector_size=args.dim, window=args.window, negative=args.negative,
                         min_count=args.min_count, sample=args.sample, workers=args.threads,
                         sg=1 if args.mode == "skipgram" else 0, seed=1)
        model.build_vocab(LineSentence(args.corpus))
        vocab_s = time.perf_counter() - started
        tick = time.perf_counter()
        model.train(LineSentence(args.corpus), total_examples=model.corpus_count,
                    epochs=args.epochs)
        train_s = time.perf_counter() - tick
        words, vectors = list(model.wv.index_to_key), model.wv.vectors
    else:
        from world2vec.embeddings.words.word2vec import train_word_vectors

        wv = train_word_vectors(args.corpus, threads=args.threads, mode=args.mode,
                                subwords=args.subwords, progress=False, seed=1, **common)
        train_s = wv.settings["seconds"]
        vocab_s = time.perf_counter() - started - train_s
        words, vectors = wv.words, wv.vectors
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"engine": args.worker, "mode": args.mode, "threads": args.threads,
              "vocab": len(words), "vocab_s": vocab_s, "train_s": train_s,
              "words_per_s": tokens * args.epochs / train_s, "rss_mb": rss_mb}
    result.update(evaluate(words, vectors, args.data))
    print("RESULT " + json.dumps(result), flush=True)


def run_one(args: argparse.Namespace, engine: str, mode: str, threads: int) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", engine, "--mode", mode,
           "--threads", str(threads), "--corpus", args.corpus, "--tokens", str(args.tokens),
           "--data", args.data, "--epochs", str(args.epochs), "--dim", str(args.dim),
           "--window", str(args.window), "--negative", str(args.negative),
           "--min-count", str(args.min_count), "--sample", str(args.sample)]
    if args.subwords:
        cmd.append("--subwords")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"{engine} {mode} failed:\n{proc.stderr[-3000:]}")


def fmt(r: dict) -> str:
    return (f"{r['engine']:9s} {r['mode']:8s} thr={r['threads']}  {r['words_per_s'] / 1e3:7.0f}k words/s"
            f"  train {r['train_s']:6.1f}s  vocab {r['vocab_s']:5.1f}s  RSS {r['rss_mb']:6.0f} MB"
            f"  analogy add {r.get('analogy_add', float('nan')):.1%} mul "
            f"{r.get('analogy_mul', float('nan')):.1%} (cov {r.get('coverage', 0):.0%})"
            f"  WS353 {r.get('wordsim', float('nan')):.3f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", help="one sentence per line (default: build from GCIDE + WordNet)")
    p.add_argument("--work", default=os.path.join("/tmp", "world2vec-bench"))
    p.add_argument("--data", default=DEFAULT_DATA if os.path.isdir(DEFAULT_DATA)
                   else "/work/shared/data", help="folder with questions-words.txt, wordsim353.tsv")
    p.add_argument("--modes", nargs="+", default=["skipgram", "cbow"], choices=["skipgram", "cbow"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--subwords", action="store_true",
                   help="train world2vec with subword n-grams (gensim Word2Vec has none)")
    p.add_argument("--engines", nargs="+", default=["world2vec", "gensim"])
    p.add_argument("--repeat", type=int, default=1,
                   help="side-by-side rounds per mode; the engine order alternates between "
                        "rounds and the ratios' spread is printed (load on a shared machine drifts)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--mode", help=argparse.SUPPRESS)
    p.add_argument("--tokens", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
        return
    if args.corpus is None:
        os.makedirs(args.work, exist_ok=True)
        args.corpus = os.path.join(args.work, "gcide-wordnet.txt")
        if not os.path.exists(args.corpus):
            print("building corpus from GCIDE + WordNet ...", flush=True)
            build_corpus(args.corpus)
    args.tokens = count_tokens(args.corpus)
    print(f"corpus {args.corpus}: {args.tokens:,} tokens; dim {args.dim}, window {args.window}, "
          f"negative {args.negative}, min-count {args.min_count}, sample {args.sample}, "
          f"{args.epochs} epochs, {args.threads} threads; load avg {os.getloadavg()[0]:.2f}",
          flush=True)
    for mode in args.modes:
        speed_ratios = []
        for round_ in range(max(1, args.repeat)):
            # Alternate who goes first: load drifts during a run, and the second
            # engine would otherwise always meet the later (often different) load.
            engines = args.engines if round_ % 2 == 0 else list(reversed(args.engines))
            results = {}
            for engine in engines:
                results[engine] = r = run_one(args, engine, mode, args.threads)
                print(fmt(r), flush=True)
            if "world2vec" in results and "gensim" in results:
                a, g = results["world2vec"], results["gensim"]
                speed_ratios.append(a["words_per_s"] / g["words_per_s"])
                print(f"  ratio {mode}: speed {speed_ratios[-1]:.2f}x  "
                      f"RSS {a['rss_mb'] / g['rss_mb']:.2f}x  analogy "
                      f"{(a.get('analogy_add', 0) - g.get('analogy_add', 0)) * 100:+.1f} points  "
                      f"WS353 {a.get('wordsim', 0) - g.get('wordsim', 0):+.3f}  "
                      f"(load avg {os.getloadavg()[0]:.2f})", flush=True)
        if len(speed_ratios) > 1:
            print(f"  {mode} speed ratio over {len(speed_ratios)} rounds: min "
                  f"{min(speed_ratios):.2f}x, median {sorted(speed_ratios)[len(speed_ratios) // 2]:.2f}x, "
                  f"max {max(speed_ratios):.2f}x", flush=True)

if __name__ == "__main__":
    main()
