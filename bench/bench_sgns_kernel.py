"""Throughput of the fused numba SGNS step against a straightforward numpy one.

Both implement the same step on the same data: word2vec subsampling, dynamic
window, unigram^0.75 negatives (alias tables), sigmoid gradient, SGD updates
of input and output rows, for skip-gram and CBOW. The numpy version is the
natural vectorised formulation (all pairs of a sentence block gathered at
once, scatter-added with ``np.add.at``); numpy runs it on one thread. The numba
kernel runs on 1 thread and on ``--threads`` threads (Hogwild). Printed: words/s
of each and the ratios. Timings are the best of ``--repeat`` runs on the same
batch; on a shared machine compare only figures from the same run.

    python bench/bench_sgns_kernel.py [--tokens 200000] [--vocab 30000] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from world2vec.engine import sgns


def make_data(tokens: int, vocab: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    toks = rng.choice(vocab, tokens, p=p).astype(np.int32)
    lengths = rng.integers(5, 40, tokens // 5)
    ptr = np.concatenate([[0], np.cumsum(lengths)])
    ptr = ptr[ptr < tokens]
    ptr = np.append(ptr, tokens).astype(np.int64)
    counts = np.bincount(toks, minlength=vocab) + 1
    return toks, ptr, counts


def numpy_step(toks, ptr, syn0, syn1, keep, alias, skipgram, window, negative, lr, rng,
               block=4096):
    """The same SGNS step written with numpy array operations."""
    thr, alias_idx = alias
    vocab, dim = syn1.shape
    kept = rng.integers(0, 2**32, len(toks), dtype=np.uint64) < keep[toks]
    sent = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))[kept]
    words = toks[kept].astype(np.int64)
    n = len(words)
    shrink = rng.integers(0, window, n)
    centres, contexts = [], []
    for off in range(-window, window + 1):  # all (centre, context) pairs, vectorised per offset
        if off == 0:
            continue
        pos = np.arange(n)
        other = pos + off
        ok = (other >= 0) & (other < n)
        ok[ok] &= sent[other[ok]] == sent[pos[ok]]
        ok &= np.abs(off) <= window - shrink
        centres.append(pos[ok])
        contexts.append(other[ok])
    centre = np.concatenate(centres)
    context = np.concatenate(contexts)
    order = np.argsort(centre, kind="stable")
    centre, context = centre[order], context[order]

    def negatives(size):
        i = rng.integers(0, vocab, size)
        u = rng.integers(0, 2**32, size, dtype=np.uint64)
        return np.where(u < thr[i], i, alias_idx[i])

    def ns(h, target):
        targets = np.concatenate([target[:, None], negatives((len(target), negative))], axis=1)
        labels = np.zeros(targets.shape, dtype=np.float32)
        labels[:, 0] = 1
        w = syn1[targets]                                   # (P, 1+k, d)
        f = np.einsum("pd,pkd->pk", h, w)
        g = (labels - 1.0 / (1.0 + np.exp(-f))) * lr
        neu1e = np.einsum("pk,pkd->pd", g, w)
        np.add.at(syn1, targets.ravel(), (g[:, :, None] * h[:, None, :]).reshape(-1, dim))
        return neu1e

    if skipgram:
        for a in range(0, len(centre), block):
            c, x = words[centre[a:a + block]], words[context[a:a + block]]
            np.add.at(syn0, x, ns(syn0[x], c))
    else:
        for a in range(0, n, block):
            sel = (centre >= a) & (centre < a + block)
            c_pos, x = centre[sel] - a, words[context[sel]]
            m = min(block, n - a)
            h = np.zeros((m, dim), dtype=np.float32)
            np.add.at(h, c_pos, syn0[x])
            count = np.bincount(c_pos, minlength=m)
            has = count > 0
            neu1e = np.zeros((m, dim), dtype=np.float32)
            neu1e[has] = ns(h[has] / count[has, None], words[a:a + m][has])
            np.add.at(syn0, x, neu1e[c_pos])


def best_of(repeat, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        tick = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - tick)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tokens", type=int, default=200_000)
    p.add_argument("--vocab", type=int, default=30_000)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()

    toks, ptr, counts = make_data(args.tokens, args.vocab)
    keep = sgns.keep_probabilities(counts, 1e-3)
    alias = sgns.alias_table(counts)
    rng = np.random.default_rng(1)
    syn0 = ((rng.random((args.vocab, args.dim)) - 0.5) / args.dim).astype(np.float32)
    syn1 = np.zeros_like(syn0)
    print(f"{args.tokens:,} tokens, vocab {args.vocab:,}, dim {args.dim}, window {args.window}, "
          f"negative {args.negative}; best of {args.repeat}")
    for mode in ("skipgram", "cbow"):
        sg = mode == "skipgram"

        def numba_run(threads, sg=sg):
            return lambda: sgns.train_batch(toks, ptr, syn0, syn1, keep=keep, alias=alias,
                                            skipgram=sg, window=args.window,
                                            negative=args.negative, lr_start=0.025,
                                            lr_end=0.025, seed=1, threads=threads)

        numba_run(1)()  # compile / warm up
        t_np = best_of(args.repeat, lambda sg=sg: numpy_step(toks, ptr, syn0, syn1, keep, alias, sg,
                                                        args.window, args.negative, 0.025, rng))
        t_1 = best_of(args.repeat, numba_run(1))
        t_n = best_of(args.repeat, numba_run(args.threads))
        def wps(t):
            return args.tokens / t / 1e3
        print(f"{mode:8s} numpy {wps(t_np):8.0f}k words/s | numba 1 thread {wps(t_1):8.0f}k "
              f"({t_np / t_1:5.1f}x) | numba {args.threads} threads {wps(t_n):8.0f}k "
              f"({t_np / t_n:5.1f}x numpy, {t_1 / t_n:.2f}x 1 thread)")


if __name__ == "__main__":
    main()
