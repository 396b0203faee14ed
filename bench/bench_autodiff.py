"""How much the engine's Tensor autodiff costs over hand-written numpy.

Two workloads, each timed side by side in the same run (this machine's numbers are
noisy under load, so only the ratios mean much):

1. An MLP training step (forward, backward, Adam) on a batch: Tensor graph vs the
   same maths written out by hand in numpy.
2. An embedding-bag step on a large vocabulary (look up rows, mean, softmax
   cross-entropy, SGD): Tensor with row-sparse gradients vs numpy with a dense
   gradient of the whole matrix, showing what sparse updates save.

    python bench/bench_autodiff.py --steps 200

BLAS runs single-threaded unless OMP_NUM_THREADS is already set: on a shared
2-core machine, multi-threaded BLAS on these small matrices measured 10x slower
under load and made the comparison meaningless.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from world2vec.engine import SGD, Adam, Tensor, softmax_cross_entropy  # noqa: E402


def _timed(step, steps: int) -> float:
    step()                                     # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def mlp_tensor(X, y, sizes, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"W{i}"] = Tensor(rng.normal(scale=a ** -0.5, size=(a, b)).astype(np.float32),
                                 requires_grad=True)
        params[f"b{i}"] = Tensor(np.zeros(b, np.float32), requires_grad=True)
    opt = Adam(params, lr=1e-3)
    layers = len(sizes) - 1

    def step():
        opt.zero_grad()
        h = Tensor(X)
        for i in range(layers):
            h = h @ params[f"W{i}"] + params[f"b{i}"]
            if i < layers - 1:
                h = h.relu()
        loss = softmax_cross_entropy(h, y)
        loss.backward()
        opt.step()
        return float(loss.data)

    return step


def mlp_numpy(X, y, sizes, seed=0):
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(scale=a ** -0.5, size=(a, b)).astype(np.float32)
          for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(b, np.float32) for b in sizes[1:]]
    params = Ws + bs
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = [0]
    n = len(X)

    def step():
        acts = [X]
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = acts[-1] @ W + b
            acts.append(np.maximum(z, 0) if i < len(Ws) - 1 else z)
        z = acts[-1]
        shifted = z - z.max(1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        loss = -logp[np.arange(n), y].mean()
        g = np.exp(logp)
        g[np.arange(n), y] -= 1
        g /= n
        gW, gb = [None] * len(Ws), [None] * len(Ws)
        for i in reversed(range(len(Ws))):
            gW[i] = acts[i].T @ g
            gb[i] = g.sum(0)
            if i:
                g = (g @ Ws[i].T) * (acts[i] > 0)
        t[0] += 1
        scale = 1e-3 * np.sqrt(1 - 0.999 ** t[0]) / (1 - 0.9 ** t[0])
        for p, gp, mp, vp in zip(params, gW + gb, m, v):
            mp *= 0.9
            mp += 0.1 * gp
            vp *= 0.999
            vp += 0.001 * gp * gp
            p -= scale * mp / (np.sqrt(vp) + 1e-8)
        return float(loss)

    return step


def bag_tensor(E0, ids, y, W0):
    E = Tensor(E0.copy(), requires_grad=True)
    W = Tensor(W0.copy(), requires_grad=True)
    opt = SGD({"E": E, "W": W}, lr=0.1)

    def step():
        opt.zero_grad()
        loss = softmax_cross_entropy(E.embed(ids).mean(axis=1) @ W, y)
        loss.backward()
        opt.step()

    return step


def bag_numpy_dense(E0, ids, y, W0):
    E, W = E0.copy(), W0.copy()
    n = len(ids)

    def step():
        h = E[ids].mean(1)
        z = h @ W
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        p[np.arange(n), y] -= 1
        p /= n
        gW = h.T @ p
        gh = p @ W.T / ids.shape[1]
        gE = np.zeros_like(E)                  # the whole vocabulary, every step
        np.add.at(gE, ids.ravel(), np.repeat(gh, ids.shape[1], axis=0))
        np.subtract(W, 0.1 * gW, out=W)
        np.subtract(E, 0.1 * gE, out=E)

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="timed steps per workload")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--vocab", type=int, default=100_000, help="embedding rows")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    sizes = [128, 256, 256, 10]
    X = rng.normal(size=(args.batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], size=args.batch)
    t_tensor = _timed(mlp_tensor(X, y, sizes), args.steps)
    t_numpy = _timed(mlp_numpy(X, y, sizes), args.steps)
    print(f"BLAS threads: {os.environ['OMP_NUM_THREADS']}; timings are noisy on a shared machine, "
          "compare the ratios")
    print(f"MLP {sizes} batch {args.batch}, Adam step:")
    print(f"  Tensor autodiff {t_tensor * 1e3:8.3f} ms   hand-written numpy {t_numpy * 1e3:8.3f} ms"
          f"   Tensor/numpy time ratio {t_tensor / t_numpy:.2f}")

    dim, context = 100, 8
    E0 = rng.normal(scale=0.1, size=(args.vocab, dim)).astype(np.float32)
    W0 = rng.normal(scale=0.1, size=(dim, 10)).astype(np.float32)
    ids = rng.integers(0, args.vocab, size=(args.batch, context))
    steps = max(args.steps // 10, 5)
    t_sparse = _timed(bag_tensor(E0, ids, y, W0), steps)
    t_dense = _timed(bag_numpy_dense(E0, ids, y, W0), steps)
    print(f"embedding bag, {args.vocab} x {dim} table, batch {args.batch} x {context} ids, SGD step:")
    print(f"  Tensor sparse rows {t_sparse * 1e3:8.3f} ms   numpy dense gradient "
          f"{t_dense * 1e3:8.3f} ms   dense/sparse speed-up {t_dense / t_sparse:.1f}x")


if __name__ == "__main__":
    main()
