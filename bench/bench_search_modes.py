#!/usr/bin/env python
"""Search modes on FAQ question sets: dense, lexical (BM25), hybrid, and /qa's reader.

Each set's answers are stored in a fresh memory; each question is asked and scored by
the rank of its own answer (MRR@10, top-1). Three sets (bench/faq_sets.py):

  tune    zlib's and procps' FAQs (~50 questions): the hybrid fusion is tuned here
  debian  the Debian FAQ (120 questions, ``apt-get install -y debian-faq``); the fusion
          weight of the distilled model was chosen on the mean of this set and tune
  python  Python's FAQ (171 questions, ``apt-get install -y python3.11-doc``): measured
          only, never looked at while choosing anything; left out when not installed

Two paths, same figures expected:

  store   world2vec.memory.reader.search_mode over a MemoryStore; the reader (/qa)
  rest    POST /memories, then POST /search {"text", "mode"} and POST /qa through the
          service's app (Flask's test client: the whole HTTP layer, no sockets)

``--tune`` also prints the grid behind reader.DENSE_WEIGHT (dense share of the fused
score x candidates per side), on tune and debian (never on the held-out python set).

    python bench/bench_search_modes.py [--model DIR] [--tune] [--no-rest]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from faq_sets import python_faq_pairs, tuning_pairs

from world2vec.memory import MemoryReader, MemoryStore
from world2vec.memory.qa_eval import DEBIAN_FAQ, QAPair, load_debian_faq, score
from world2vec.memory.reader import SEARCH_MODES, hybrid_hits, search_mode


def store_rankers(model, pairs: list[QAPair], tmp: str) -> tuple[MemoryStore, dict]:
    """A memory holding the answers, and a ranking function per mode (and the reader)."""
    store = MemoryStore.open(tmp, model.dim, index="flat", background=False)
    vectors = model.encode_texts([p.answer for p in pairs])
    store.add([{"id": p.id, "kind": "fact", "text": p.answer, "vector": v}
               for p, v in zip(pairs, vectors)])
    questions = [p.question for p in pairs]
    qvec = dict(zip(questions, model.encode_texts(questions)))

    def mode(name):
        return lambda q: [h.id for h in search_mode(store, name, 10, q, qvec[q])]

    reader = MemoryReader(store, model.encode_texts)
    rankers = {name: mode(name) for name in SEARCH_MODES}
    rankers["qa (reader)"] = lambda q: reader.rank(q)[0][:10]
    rankers["_vectors"] = qvec
    return store, rankers


def rest_rankers(model_path: str | None, pairs: list[QAPair], tmp: str) -> tuple[object, dict]:
    from world2vec.service.app import create_app
    from world2vec.service.config import ServiceConfig

    app = create_app(ServiceConfig(model=model_path, data=tmp))
    client = app.test_client()
    for start in range(0, len(pairs), 500):
        resp = client.post("/memories", json={"items": [
            {"id": p.id, "kind": "fact", "text": p.answer} for p in pairs[start:start + 500]]})
        assert resp.status_code == 200, resp.get_data(as_text=True)

    def search(mode):
        def rank(q):
            body = {"text": q, "k": 10} if mode is None else {"text": q, "k": 10, "mode": mode}
            resp = client.post("/search", json=body)
            assert resp.status_code == 200, resp.get_data(as_text=True)
            return [r["id"] for r in resp.get_json()["results"]]
        return rank

    def qa(q):
        resp = client.post("/qa", json={"question": q, "k": 10})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return [a["id"] for a in resp.get_json()["answers"]]

    rankers = {f"/search {m}": search(m) for m in SEARCH_MODES}
    rankers["/search (default)"] = search(None)
    rankers["/qa"] = qa
    return app, rankers


def tune(store: MemoryStore, vectors: dict, pairs: list[QAPair], label: str) -> None:
    weights = [round(0.1 * i, 1) for i in range(0, 11)]
    print(f"\nhybrid grid on {label}: MRR@10 by dense weight (columns) and candidates (rows)")
    print(f"{'':>6}" + "".join(f"{w:>7}" for w in weights))
    for n in (20, 50, 100):
        row = [score(lambda q, w=w, n=n: [h.id for h in hybrid_hits(
            store, q, vectors[q], 10, dense_weight=w, candidates=n)], pairs)["mrr@10"]
            for w in weights]
        print(f"{n:>6}" + "".join(f"{x:>7.3f}" for x in row))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory (default: the bundled one)")
    parser.add_argument("--faq", default=DEBIAN_FAQ)
    parser.add_argument("--tune", action="store_true", help="print the fusion grid")
    parser.add_argument("--no-rest", action="store_true", help="skip the REST path")
    args = parser.parse_args(argv)
    try:
        sets = {"tune": tuning_pairs(), "debian": load_debian_faq(args.faq)}
    except FileNotFoundError:
        print(f"{args.faq} not found: apt-get install -y debian-faq", file=sys.stderr)
        return 2
    held_out = python_faq_pairs()
    if held_out:
        sets["python"] = held_out
    else:
        print("Python's FAQ not found (apt-get install -y python3.11-doc): two sets only",
              file=sys.stderr)
    from world2vec.embeddings.model import load_model
    model = load_model(args.model)
    print(f"model {model.name} (dim {model.dim}); sets: "
          + ", ".join(f"{k} {len(v)} questions" for k, v in sets.items()))
    figures: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, pairs in sets.items():
            store, rankers = store_rankers(model, pairs, os.path.join(tmp, f"store-{label}"))
            vectors = rankers.pop("_vectors")
            for name, rank in rankers.items():
                started = time.perf_counter()
                figures.setdefault(f"store  {name}", {})[label] = {
                    **score(rank, pairs), "ms": (time.perf_counter() - started) / len(pairs) * 1e3}
            if args.tune and label != "python":   # held out: no grid to choose from
                tune(store, vectors, pairs, label)
            store.close(snapshot=False)
            if not args.no_rest:
                from world2vec.service.app import close_app
                app, rankers = rest_rankers(args.model, pairs, os.path.join(tmp, f"rest-{label}"))
                for name, rank in rankers.items():
                    started = time.perf_counter()
                    figures.setdefault(f"rest   {name}", {})[label] = {
                        **score(rank, pairs),
                        "ms": (time.perf_counter() - started) / len(pairs) * 1e3}
                close_app(app)
    print(f"\n{'path   ranker':<28}" + "".join(f"{s + ' MRR@10':>14}{'top-1':>7}{'ms/q':>7}"
                                            for s in sets))
    for name, per_set in figures.items():
        print(f"{name:<28}" + "".join(
            f"{per_set[s]['mrr@10']:>14.3f}{per_set[s]['top1']:>7.3f}{per_set[s]['ms']:>7.1f}"
            for s in sets))
    print("\n(ms/q: per question, noisy on a shared machine; /qa ranks with the reader, "
          "2 hops, untrained)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
