#!/usr/bin/env python
"""Sentence and concept vectors side by side: old bundled model, new model, MiniLM, Model2Vec.

One run prints every figure of docs/DEFAULT-MODEL.md's distillation table, on sets
that no model trained on (built by bench/make_vector_sets.py from held-out splits,
plus the debian-faq package and the shared word-similarity files):

  docsim     Pearson r, cosine vs debtags overlap, 450 pairs of held-out Debian
             package descriptions (bench/data/docsim_debian.tsv)
  docsim lee Pearson r over the 1,225 pairs of the Lee, Pincombe & Welsh (2005) news
             corpus: 50 Australian news articles, each pair rated by ~10 people
             (gensim's test data: lee.cor, similarities0-1.txt; read only when gensim
             is installed, for bench). A TF-IDF baseline (idf from the 50 articles)
             is printed beside the table.
  revdict    top-10 rate of the headword among the bundled model's 50k concepts for
             300 held-out dictionary definitions (also given as "of 30"), each text
             encoded as /similar?text= does (a model's concept queries: its
             reverse-dictionary head blended with the default encoder, where it has
             one); "clean": the 239 definitions that do not contain their headword
             (the others are found by echoing a word of the query)
  revdict everyday  the same on 40 everyday definitions written for this bench in
             plain words, as a user would type them ("an instrument for measuring how
             hot or cold something is" -> thermometer; bench/data/
             reverse_dictionary_everyday.tsv), written before any model was run on
             them and never used to choose anything
  faq        MRR@10, Debian FAQ question -> its answer, dense cosine over all answers
  simlex     Spearman on SimLex-999 (pairs covered; gensim's test data, as for docsim
             lee)
  wordsim    Spearman on WordSim-353 (pairs covered); analogies 3CosAdd
             (questions-words.txt, 30k most frequent concepts)
  checks     cat -> dog in top 5; king - man + woman -> queen first;
             paris - france + italy -> rome in top 3
  texts/s    encode_texts on FAQ questions (short) and answers (long)

MiniLM (the teacher, ``pip install .[distill]``) and Model2Vec (``pip install
model2vec``; distilled from the same teacher, cached in --cache) are optional.

    python bench/bench_vectors.py --new /work/scratch-distill/model [--cache DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from faq_sets import python_faq_pairs

from world2vec.embeddings import load_model
from world2vec.embeddings.words.evaluation import evaluate_analogies, evaluate_similarity
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.memory.qa_eval import DEBIAN_FAQ, load_debian_faq

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data")

Encode = Callable[[list[str]], np.ndarray]


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def read_tsv(name: str) -> list[list[str]]:
    with open(os.path.join(HERE, "data", name), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def safe_encode(encode: Encode, texts: list[str]) -> np.ndarray:
    """Encode, giving a zero row to a text the system cannot encode at all."""
    try:
        return unit(encode(texts))
    except ValueError:
        rows = []
        for t in texts:
            try:
                rows.append(unit(encode([t]))[0])
            except ValueError:
                rows.append(np.zeros(rows[0].shape if rows else 1, np.float32))
        width = max(len(r) for r in rows)
        return np.vstack([r if len(r) == width else np.zeros(width, np.float32) for r in rows])


def docsim(encode: Encode) -> float:
    rows = read_tsv("docsim_debian.tsv")
    a = safe_encode(encode, [r[1] for r in rows])
    b = safe_encode(encode, [r[2] for r in rows])
    return float(np.corrcoef((a * b).sum(axis=1), [float(r[0]) for r in rows])[0, 1])


def gensim_test_data() -> str | None:
    """gensim's test-data folder (public evaluation sets), when gensim is installed."""
    try:
        import gensim
    except ImportError:
        return None
    return os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")


def lee_corpus() -> tuple[list[str], np.ndarray] | None:
    """The 50 Lee news articles and the (50, 50) human similarity matrix, or None."""
    folder = gensim_test_data()
    if folder is None:
        return None
    with open(os.path.join(folder, "lee.cor"), encoding="latin-1") as f:
        docs = [line.strip() for line in f if line.strip()]
    return docs, np.loadtxt(os.path.join(folder, "similarities0-1.txt"))


def docsim_lee(encode: Encode) -> float | str:
    corpus = lee_corpus()
    if corpus is None:
        return "-"
    docs, human = corpus
    v = safe_encode(encode, docs)
    upper = np.triu_indices(len(docs), 1)
    return float(np.corrcoef((v @ v.T)[upper], human[upper])[0, 1])


def tfidf_lee() -> float | None:
    """TF-IDF cosine (1 + log tf, log N/df over the 50 articles) on the Lee pairs."""
    corpus = lee_corpus()
    if corpus is None:
        return None
    docs, human = corpus
    tokens = [re.findall(r"[a-z0-9]+", d.lower()) for d in docs]
    vocab = {w: i for i, w in enumerate(sorted({w for t in tokens for w in t}))}
    df = np.zeros(len(vocab))
    for t in tokens:
        df[[vocab[w] for w in set(t)]] += 1
    m = np.zeros((len(docs), len(vocab)))
    for row, t in enumerate(tokens):
        for w, c in Counter(t).items():
            m[row, vocab[w]] = (1 + np.log(c)) * np.log(len(docs) / df[vocab[w]])
    m = unit(m)
    upper = np.triu_indices(len(docs), 1)
    return float(np.corrcoef((m @ m.T)[upper], human[upper])[0, 1])


def simlex(concepts: WordVectors) -> str:
    folder = gensim_test_data()
    if folder is None:
        return "-"
    result = evaluate_similarity(concepts, os.path.join(folder, "simlex999.txt"))
    return f"{result.spearman:.3f} ({result.used}/{result.pairs})"


def revdict(encode: Encode, concepts: WordVectors, clean: bool = False,
            name: str = "reverse_dictionary_heldout.tsv") -> float:
    rows = read_tsv(name)
    rows = [r for r in rows if r[0] in concepts]
    if clean:
        rows = [r for r in rows if r[0] not in concepts.tokenizer.tokenize(r[1])]
    q = safe_encode(encode, [r[1] for r in rows])
    scores = q @ np.asarray(concepts.normed, np.float32).T
    true = scores[np.arange(len(rows)), [concepts.index(r[0]) for r in rows]]
    return float(np.mean((scores > true[:, None]).sum(axis=1) < 10))


def faq(encode: Encode, pairs: list | None = None) -> float:
    """Dense MRR@10, question -> its answer among all answers (the Debian FAQ unless
    ``pairs`` are given)."""
    pairs = load_debian_faq(DEBIAN_FAQ) if pairs is None else pairs
    if not pairs:
        return float("nan")
    answers = safe_encode(encode, [p.answer for p in pairs])
    questions = safe_encode(encode, [p.question for p in pairs])
    order = np.argsort(-(questions @ answers.T), axis=1)[:, :10]
    rr = [1.0 / (list(row).index(i) + 1) if i in row else 0.0 for i, row in enumerate(order)]
    return float(np.mean(rr))


def speed(encode: Encode, texts: list[str], rounds: int = 2) -> float:
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        encode(texts)
        best = max(best, len(texts) / (time.perf_counter() - start))
    return best


def word_checks(wv: WordVectors) -> dict[str, str]:
    out = {}
    near = [w for w, _ in wv.nearest(wv.vector("cat")[0], k=6, exclude=["cat"])][:5]
    out["cat top5"] = ("dog" in near, ",".join(near))
    for name, (a, b, c, want, k) in {"king-man+woman": ("man", "king", "woman", "queen", 1),
                                     "paris-france+italy": ("france", "paris", "italy", "rome", 3)
                                     }.items():
        try:
            top = [w for w, _ in wv.analogy(a, b, c, k=k)]
        except KeyError as exc:
            top = [f"unknown {exc}"]
        out[name] = (want in top, ",".join(top))
    return out


def measure(name: str, encode: Encode, concepts: WordVectors, data: str,
            query: Encode | None = None) -> dict:
    """Every figure of one system; ``query`` encodes texts asked of the concepts
    (default: ``encode``)."""
    query = query or encode
    pairs = load_debian_faq(DEBIAN_FAQ)
    sim = evaluate_similarity(concepts, os.path.join(data, "wordsim353.tsv"))
    ana = evaluate_analogies(concepts, os.path.join(data, "questions-words.txt"))
    row = {"docsim r": docsim(encode), "docsim lee r": docsim_lee(encode),
           "revdict top10": revdict(query, concepts),
           "revdict top10 clean": revdict(query, concepts, clean=True),
           "revdict everyday top10 (40)": revdict(query, concepts,
                                                  name="reverse_dictionary_everyday.tsv"),
           "faq MRR@10": faq(encode),
           "faq python MRR@10 (held out)": faq(encode, python_faq_pairs()),
           "simlex999": simlex(concepts),
           "wordsim353": f"{sim.spearman:.3f} ({sim.used}/{sim.pairs})",
           "analogies": f"{ana.accuracy_add:.3f} ({ana.answered}/{ana.total})"}
    row.update({k: f"{'yes' if ok else 'no'} ({w})" for k, (ok, w) in word_checks(concepts).items()})
    row["texts/s short"] = speed(encode, [p.question for p in pairs] * 4)
    row["texts/s long"] = speed(encode, [p.answer for p in pairs])
    print(f"  measured {name}", file=sys.stderr, flush=True)
    return row


def table_of(vocab: list[str], vectors: np.ndarray, counts: np.ndarray) -> WordVectors:
    return WordVectors(vocab, unit(vectors), counts, name="bench")


def teacher_system(vocab: list[str], counts: np.ndarray, cache: str):
    try:
        from world2vec.embeddings.default_model.teacher import load_teacher
        teacher = load_teacher()
    except ImportError:
        return None
    path = os.path.join(cache, "minilm_concepts.npy")
    if not os.path.exists(path):
        np.save(path, teacher.encode_words(vocab))
    return teacher.encode, table_of(vocab, np.load(path), counts)


def model2vec_system(vocab: list[str], counts: np.ndarray, cache: str):
    try:
        from model2vec import StaticModel
    except ImportError:
        return None
    folder = os.path.join(cache, "model2vec-minilm")
    if not os.path.isdir(folder):
        from model2vec.distill import distill

        from world2vec.embeddings.default_model.teacher import teacher_path
        distill(model_name=teacher_path(), pca_dims=256).save_pretrained(folder)
    model = StaticModel.from_pretrained(folder)
    return model.encode, table_of(vocab, model.encode(vocab), counts)


def print_table(results: dict[str, dict]) -> None:
    names = list(results)
    keys = list(next(iter(results.values())))
    width = max(len(k) for k in keys) + 2
    print("| metric | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for k in keys:
        cells = []
        for n in names:
            v = results[n].get(k, "-")
            cells.append(f"{v:,.0f}" if isinstance(v, float) and k.startswith("texts/s") else
                         f"{v:.3f}" if isinstance(v, float) else str(v))
        print(f"| {k:<{width}}| " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", default=None, help="old model (default: the bundled one)")
    parser.add_argument("--new", default=None, help="new model directory")
    parser.add_argument("--data", default=SHARED, help="folder of wordsim353.tsv, questions-words.txt")
    parser.add_argument("--cache", default=os.path.join(HERE, ".cache"),
                        help="where MiniLM / Model2Vec concept tables are cached")
    parser.add_argument("--skip", default="", help="comma list of systems to skip")
    args = parser.parse_args(argv)
    os.makedirs(args.cache, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    old = load_model(args.old)
    vocab, counts = list(old.words.words), np.asarray(old.words.counts)
    systems = {"old": (old.encode_texts, old.words, old.encode_concept_queries)}
    if args.new:
        new = load_model(args.new)
        systems["new"] = (new.encode_texts, new.words, new.encode_concept_queries)
    for name, make in (("MiniLM", teacher_system), ("Model2Vec", model2vec_system)):
        if name not in skip:
            system = make(vocab, counts, args.cache)
            if system is not None:
                systems[name] = system
    results = {n: measure(n, *system[:2], args.data, *system[2:])
               for n, system in systems.items() if n not in skip}
    print_table(results)
    lee = tfidf_lee()
    if lee is not None:
        print(f"\nTF-IDF baseline on the Lee news pairs: r = {lee:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
