"""Relations taught from a few pairs on the bundled model: which method generalises, and
whether an English-only model can learn translation.

    python bench/bench_relations.py [--model PATH] [--freedict /usr/share/dictd/freedict-eng-fra]

For each relation it prints the leave-one-out top-5 (each pair held out in turn, the
map fitted on the rest, the target among the 5 concepts nearest the mapped source,
the source excluded, over the whole vocabulary) of every method, what ``auto``
chooses, and, for reference, Procrustes by a plain SVD (no tie-break toward the
identity; see ``relations.nearest_rotation``). Then translation: English -> French
pairs from Debian's FreeDict (``apt-get install dict-freedict-eng-fra``), how many
French words the model knows, and a relation taught from 20 pairs measured on 50
held-out ones. BLAS runs single-threaded unless told otherwise: on a shared machine
threaded LAPACK on these small matrices measured 100x slower under load.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from world2vec.embeddings import load_model  # noqa: E402
from world2vec.embeddings.relation_fitting import (  # noqa: E402
    choose_method,
    fit_relation,
)
from world2vec.embeddings.relations import METHODS, top_k_hits, unit_rows  # noqa: E402
from world2vec.embeddings.words.vectors import WordVectors  # noqa: E402

COUNTRY_LANGUAGE = [
    ("france", "french"), ("germany", "german"), ("spain", "spanish"), ("italy", "italian"),
    ("russia", "russian"), ("china", "chinese"), ("japan", "japanese"), ("greece", "greek"),
    ("portugal", "portuguese"), ("poland", "polish"), ("sweden", "swedish"),
    ("denmark", "danish"), ("norway", "norwegian"), ("finland", "finnish"),
    ("hungary", "hungarian"), ("turkey", "turkish"), ("netherlands", "dutch"),
    ("england", "english"), ("korea", "korean"), ("egypt", "arabic"), ("iran", "persian"),
    ("israel", "hebrew"), ("india", "hindi"), ("brazil", "portuguese"), ("mexico", "spanish"),
    ("austria", "german"), ("thailand", "thai"), ("vietnam", "vietnamese"), ("wales", "welsh"),
    ("ireland", "irish"), ("romania", "romanian"), ("bulgaria", "bulgarian"),
    ("lithuania", "lithuanian"), ("estonia", "estonian"), ("iceland", "icelandic"),
    ("ukraine", "ukrainian"), ("tibet", "tibetan"), ("mongolia", "mongolian")]
MALE_FEMALE = [
    ("king", "queen"), ("man", "woman"), ("boy", "girl"), ("father", "mother"),
    ("son", "daughter"), ("brother", "sister"), ("husband", "wife"), ("uncle", "aunt"),
    ("nephew", "niece"), ("prince", "princess"), ("actor", "actress"), ("waiter", "waitress"),
    ("emperor", "empress"), ("duke", "duchess"), ("lord", "lady"), ("grandfather", "grandmother"),
    ("stallion", "mare"), ("monk", "nun"), ("god", "goddess"), ("host", "hostess"),
    ("hero", "heroine"), ("bull", "cow"), ("rooster", "hen"), ("widower", "widow")]
ANIMAL_YOUNG = [
    ("cat", "kitten"), ("dog", "puppy"), ("cow", "calf"), ("horse", "foal"), ("sheep", "lamb"),
    ("goat", "kid"), ("pig", "piglet"), ("bear", "cub"), ("deer", "fawn"), ("duck", "duckling"),
    ("goose", "gosling"), ("swan", "cygnet"), ("frog", "tadpole"), ("kangaroo", "joey"),
    ("owl", "owlet"), ("eagle", "eaglet"), ("hen", "chick"), ("butterfly", "caterpillar")]
_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_FRENCH_WORD = re.compile(r"^[a-zàâäçéèêëîïôöùûüÿœæ]+$")


def plain_procrustes_loo(words: WordVectors, pairs: list[tuple[str, str]], k: int = 5) -> float:
    """Leave-one-out top-k of Procrustes by a plain SVD of X^T Y (refitted per pair)."""
    src = np.array([words.index(a) for a, _ in pairs])
    tgt = np.array([words.index(b) for _, b in pairs])
    x, y = unit_rows(words.normed[src]), unit_rows(words.normed[tgt])
    mapped = []
    for i in range(len(pairs)):
        keep = np.arange(len(pairs)) != i
        u, _, vt = np.linalg.svd(x[keep].T @ y[keep])
        mapped.append(x[i] @ u @ vt)
    return float(top_k_hits(words, np.array(mapped), src, tgt, k).mean())


def report(name: str, words: WordVectors, pairs: list[tuple[str, str]]) -> None:
    known = [(a, b) for a, b in pairs if a in words and b in words]
    t0 = time.time()
    best, scores = choose_method(words, known)
    plain = plain_procrustes_loo(words, known) if len(known) <= 100 else float("nan")
    n = len(known)
    cells = "  ".join(f"{m} {round(scores[m] * n):>3}/{n} ({scores[m]:.2f})" for m in METHODS)
    print(f"{name:<28} {cells}  procrustes-plain {plain:.2f}  auto -> {best}"
          f"  ({time.time() - t0:.1f} s)")


def freedict_pairs(path: str) -> list[tuple[str, str]]:
    """(english, first french translation) of each one-word FreeDict entry."""
    with open(path + ".index", encoding="utf-8") as f:
        index = [line.rstrip("\n").split("\t") for line in f]
    with gzip.open(path + ".dict.dz", "rb") as f:
        data = f.read()
    pairs = []
    for head, offset, length in (row for row in index if len(row) == 3):
        if head.startswith("00database") or not head.isalpha():
            continue
        start = sum(_B64[c] * 64 ** i for i, c in enumerate(reversed(offset)))
        size = sum(_B64[c] * 64 ** i for i, c in enumerate(reversed(length)))
        lines = data[start:start + size].decode("utf-8").splitlines()[1:]
        senses = [re.sub(r"^\d+\.\s*", "", line).strip() for line in lines if line.strip()]
        if not senses:
            continue
        first = senses[0].split(",")[0].strip().lower()
        if _FRENCH_WORD.match(first) and first != head.lower():
            pairs.append((head.lower(), first))
    return sorted(set(pairs))


def translation(words: WordVectors, path: str, seed: int) -> None:
    pairs = [(e, f) for e, f in freedict_pairs(path) if e in words]
    known = [(e, f) for e, f in pairs if f in words]
    synthesizable = 0
    for _, f in pairs:
        if f not in words:
            try:
                words.vector(f)
                synthesizable += 1
            except KeyError:
                pass
    print(f"\nFreeDict English -> French: {len(pairs)} one-word pairs with the English word known;"
          f" French word in the vocabulary for {len(known)} ({len(known) / len(pairs):.0%}),"
          f" only from subwords for {synthesizable}, nothing at all for "
          f"{len(pairs) - len(known) - synthesizable}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(known))
    train = [known[i] for i in order[:20]]
    test = [known[i] for i in order[20:70]]
    print(f"  taught from {len(train)}: {', '.join(f'{a}->{b}' for a, b in train[:8])}, ...")
    src = np.array([words.index(a) for a, _ in test])
    tgt = np.array([words.index(b) for _, b in test])
    identity = top_k_hits(words, words.normed[src], src, tgt, 5).mean()
    for method in (*METHODS, "auto"):
        relation = fit_relation(words, "french", train, method)
        held, n = relation.evaluate(words, test, k=5)
        print(f"  {method:<10} (used {relation.method:<10}) leave-one-out top-5 "
              f"{relation.accuracy:.2f} on the 20; held-out top-5 {held:.2f} on {n}")
    print(f"  no map at all (the English word's own neighbours): held-out top-5 {identity:.2f}")
    relation = fit_relation(words, "french", train, "auto")
    for english, french in test[:6]:
        mapped = relation.apply(words.normed[words.index(english)])
        top = [w for w, _ in words.nearest(mapped, k=5, exclude=(english,))]
        print(f"    {english} -> {top}  (FreeDict: {french})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory (default: the bundled one)")
    parser.add_argument("--freedict", default="/usr/share/dictd/freedict-eng-fra",
                        help="dictd database path without .index/.dict.dz")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    model = load_model(args.model)
    words = model.words
    print(f"model {model.name}: {len(words)} words, dim {model.dim}; leave-one-out top-5\n")
    report("country->language (18)", words, COUNTRY_LANGUAGE[:18])
    report("country->language (all)", words, COUNTRY_LANGUAGE)
    report("male->female (18)", words, MALE_FEMALE[:18])
    report("male->female (all)", words, MALE_FEMALE)
    report("animal->young", words, ANIMAL_YOUNG)
    try:
        from world2vec.embeddings.default_model.relation_pairs import capital_pairs
        from world2vec.embeddings.default_model.wordnet import DEFAULT_WORDNET_DIR, load_wordnet
        report("capital (WordNet)", words, capital_pairs(load_wordnet(DEFAULT_WORDNET_DIR)))
    except OSError as exc:
        print(f"capital (WordNet): skipped ({exc})")
    for name, relation in sorted(model.relations.items()):
        print(f"bundled {name}: method {relation.method}, {relation.pair_count} pairs, "
              f"stored leave-one-out top-5 {relation.accuracy}")
    if os.path.exists(args.freedict + ".index"):
        translation(words, args.freedict, args.seed)
    else:
        print(f"\n{args.freedict}.index not found: apt-get install dict-freedict-eng-fra")


if __name__ == "__main__":
    main()
