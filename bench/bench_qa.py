#!/usr/bin/env python
"""Question answering on the Debian FAQ: dense vs BM25 vs hybrid, through the reader.

Needs the ``debian-faq`` package (``apt-get install -y debian-faq``). The FAQ's
answers are stored in a fresh memory; each question is asked and scored by the
rank of its own answer (MRR@10, top-1). Rankers:

  bm25            our BM25 over the stored answers (the baseline to match)
  dense           FAISS cosine search with the model's sentence vector of the question
  reader-dense    the MemN2N reader over dense candidates, untrained (H = I)
  reader-hybrid   the reader over dense + BM25 candidates with fused scores, untrained
  reader-trained  reader-hybrid with H, feedback, gamma, beta trained (engine, Adam) on the
                  training half of the questions

Questions are split in two halves by a fixed seed; every ranker is scored on the
held-out half (and the untrained ones on all questions too).

``--backends`` asks the held-out questions through the service instead (POST /memories,
then POST /search {"text"} in its default mode and POST /qa, Flask's test client), once
on the embedded store and once on Milvus Lite (``--backend milvus``), side by side: the
two must agree within 0.03 MRR (tests/service/test_qa_backends.py holds them to it).

    python bench/bench_qa.py [--model DIR] [--hops 2] [--candidates 50] [--epochs 20]
    python bench/bench_qa.py --backends [--model DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zlib

import numpy as np

from world2vec.memory import MemoryReader, MemoryStore
from world2vec.memory.bm25 import tokenize
from world2vec.memory.qa_eval import DEBIAN_FAQ, load_debian_faq, score


def hash_encoder(dim: int = 128):
    """A bag-of-words hashing encoder: a lexical control, not a trained model."""
    def encode(texts):
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                out[row] += np.random.default_rng(zlib.crc32(token.encode())).normal(size=dim)
            if not out[row].any():
                out[row, 0] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)
    return encode, dim


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory (default: the bundled one)")
    parser.add_argument("--encoder", choices=["model", "hash"], default="model",
                        help="'hash' uses a bag-of-words hashing encoder instead of a model")
    parser.add_argument("--faq", default=DEBIAN_FAQ)
    parser.add_argument("--hops", type=int, default=2)
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", action="store_true",
                        help="/search and /qa through the service, embedded store vs Milvus Lite")
    args = parser.parse_args(argv)

    try:
        pairs = load_debian_faq(args.faq)
    except FileNotFoundError:
        print(f"{args.faq} not found: apt-get install -y debian-faq", file=sys.stderr)
        return 2
    if args.backends:
        return compare_backends(args.model, pairs, args.seed)
    if args.encoder == "hash":
        encode, dim = hash_encoder()
        model_name = "hash-bow-128"
    else:
        from world2vec.embeddings.model import load_model
        model = load_model(args.model)
        encode, dim, model_name = model.encode_texts, model.dim, f"{model.name} (dim {model.dim})"

    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(pairs))
    train = [pairs[i] for i in order[: len(pairs) // 2]]
    test = [pairs[i] for i in order[len(pairs) // 2:]]

    with tempfile.TemporaryDirectory() as tmp:
        store = MemoryStore.open(tmp, dim, index="flat", background=False)
        started = time.perf_counter()
        vectors = encode([p.answer for p in pairs])
        store.add([{"id": p.id, "kind": "fact", "text": p.answer, "vector": v,
                    "payload": {"question": p.question}} for p, v in zip(pairs, vectors)])
        print(f"Debian FAQ: {len(pairs)} question/answer pairs; encoder {model_name}; "
              f"stored in {time.perf_counter() - started:.2f}s")

        def dense(q):
            return [h.id for h in store.search(encode([q])[0], 10)]

        def bm25(q):
            return [i for i, _ in store.lexical_search(q, 10)]

        reader_dense = MemoryReader(store, encode, hops=args.hops, candidates=args.candidates,
                                    lexical=False)
        reader_hybrid = MemoryReader(store, encode, hops=args.hops, candidates=args.candidates)
        reader_trained = MemoryReader(store, encode, hops=args.hops, candidates=args.candidates)
        fit = reader_trained.train([(p.question, p.id) for p in train], epochs=args.epochs,
                                   lr=args.lr, seed=args.seed)

        def via(reader):
            return lambda q: reader.rank(q)[0][:10]

        rankers = [("bm25", bm25), ("dense", dense), ("reader-dense", via(reader_dense)),
                   ("reader-hybrid", via(reader_hybrid)), ("reader-trained", via(reader_trained))]
        print(f"reader-trained: {args.epochs} epochs on {len(train)} questions, final loss "
              f"{fit['loss']:.3f} (kept epoch {fit['best_epoch']}, "
              f"held-out MRR {fit['validation_mrr']:.3f}), "
              f"gamma {float(reader_trained.gamma):.2f}, "
              f"beta {float(reader_trained.beta):.2f}, hops {args.hops}")
        print(f"\n{'ranker':<16}{'MRR@10 test':>12}{'top-1 test':>12}{'MRR@10 all':>12}"
              f"{'top-1 all':>11}{'ms/question':>13}")
        for name, rank in rankers:
            t0 = time.perf_counter()
            held_out = score(rank, test)
            per_q = (time.perf_counter() - t0) / len(test) * 1000
            everything = score(rank, pairs) if name != "reader-trained" else None
            all_mrr = f"{everything['mrr@10']:.3f}" if everything else "-"
            all_top = f"{everything['top1']:.3f}" if everything else "-"
            print(f"{name:<16}{held_out['mrr@10']:>12.3f}{held_out['top1']:>12.3f}{all_mrr:>12}"
                  f"{all_top:>11}{per_q:>13.1f}")
        print(f"\n(test = the {len(test)} held-out questions; all = all {len(pairs)}; "
              f"timings are noisy on a shared machine)")
        store.close(snapshot=False)
    return 0


def held_out(pairs: list, seed: int = 7) -> list:
    """The held-out half of the questions (the split main() trains the reader around)."""
    order = np.random.default_rng(seed).permutation(len(pairs))
    return [pairs[i] for i in order[len(pairs) // 2:]]


def service_mrr(backend: str, model: str | None, pairs: list, asked: list, data: str,
                **config) -> dict[str, dict[str, float]]:
    """Every answer stored through POST /memories of a service on ``backend``; then each
    question of ``asked`` through POST /search (default mode) and POST /qa, scored."""
    from world2vec.service.app import close_app, create_app
    from world2vec.service.config import ServiceConfig

    if backend == "milvus":
        config.setdefault("milvus_uri", os.path.join(data, "milvus.db"))
    app = create_app(ServiceConfig(model=model, data=data, backend=backend, **config))
    try:
        client = app.test_client()
        for start in range(0, len(pairs), 500):
            resp = client.post("/memories", json={"items": [
                {"id": p.id, "kind": "fact", "text": p.answer} for p in pairs[start:start + 500]]})
            assert resp.status_code == 200, resp.get_data(as_text=True)

        def search(q):
            return [r["id"] for r in client.post("/search", json={"text": q, "k": 10})
                    .get_json()["results"]]

        def qa(q):
            return [a["id"] for a in client.post("/qa", json={"question": q, "k": 10})
                    .get_json()["answers"]]

        return {"/search": score(search, asked), "/qa": score(qa, asked)}
    finally:
        close_app(app)


def compare_backends(model: str | None, pairs: list, seed: int) -> int:
    asked = held_out(pairs, seed)
    print(f"Debian FAQ: {len(pairs)} answers stored, {len(asked)} held-out questions asked "
          f"through the service")
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("faiss", "milvus"):
            started = time.perf_counter()
            figures[backend] = service_mrr(backend, model, pairs, asked,
                                           os.path.join(tmp, backend))
            print(f"  {backend}: {time.perf_counter() - started:.1f}s")
    print(f"\n{'route':<10}{'embedded MRR@10':>17}{'milvus MRR@10':>15}{'difference':>12}"
          f"{'embedded top-1':>16}{'milvus top-1':>14}")
    for route in ("/search", "/qa"):
        a, b = figures["faiss"][route], figures["milvus"][route]
        print(f"{route:<10}{a['mrr@10']:>17.3f}{b['mrr@10']:>15.3f}"
              f"{b['mrr@10'] - a['mrr@10']:>+12.3f}{a['top1']:>16.3f}{b['top1']:>14.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
