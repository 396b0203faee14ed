#!/usr/bin/env python
"""Build the small evaluation sets of bench/bench_vectors.py from Debian packages.

Never training data: both sets come from the held-out splits the build uses
(``is_held_out`` for dictionary headwords, ``is_held_out_description`` for package
descriptions), so the distilled model never saw them.

  bench/data/docsim_debian.tsv    label, text_a, text_b: pairs of held-out package
      long descriptions. The label is the Jaccard overlap of the two packages'
      *topical* debtags (facets such as works-with, use, field, devel, game,
      network, science, sound; not role/interface/implemented-in/suite/scope,
      which say little about the subject). Debtags are assigned by Debian
      maintainers independently of the wording, so the label is an independent
      relatedness judgement. One package per source package, so two splits of one
      library (same first paragraph) never make an easy pair, and at most two packages
      per distinct tag set (else Perl modules, all tagged alike, would dominate). Pairs are drawn in
      three equal strata (random, >= 1 shared tag, >= 2 shared tags) to spread the
      labels; the score is Pearson's r between cosine and label.
  bench/data/reverse_dictionary_heldout.tsv   headword, definition: held-out WordNet
      and GCIDE definitions whose headword is a concept of the bundled model.

Needs ``apt-get update -o Acquire::Languages=en`` (long descriptions), wordnet-base
and dict-gcide. ``python bench/make_vector_sets.py`` rewrites both files.
"""

from __future__ import annotations

import os
import random
import sys

from world2vec.embeddings import load_model
from world2vec.embeddings.default_model.debian_packages import is_held_out_description, load_packages
from world2vec.embeddings.default_model.definitions import (
    gcide_definitions,
    is_held_out,
    wordnet_definitions,
)
from world2vec.embeddings.default_model.wordnet import load_wordnet

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
UNTOPICAL = ("role::", "scope::", "special::", "suite::", "implemented-in::", "interface::",
             "uitoolkit::", "x11::", "made-of::")


def topical(tags: frozenset[str]) -> frozenset[str]:
    return frozenset(t for t in tags if not t.startswith(UNTOPICAL) and "TODO" not in t)


def flat(text: str, words: int = 150) -> str:
    return " ".join(text.split()[:words])


def docsim_pairs(n: int = 450, seed: int = 5) -> list[tuple[float, str, str]]:
    rng = random.Random(seed)
    by_source = {}
    per_tagset: dict[frozenset, int] = {}
    for p in sorted(load_packages(), key=lambda p: p.md5):
        tags = topical(p.tags)
        if (is_held_out_description(p.md5) and len(tags) >= 2 and len(p.long.split()) >= 25
                and p.source not in by_source and per_tagset.get(tags, 0) < 2):
            per_tagset[tags] = per_tagset.get(tags, 0) + 1
            by_source[p.source] = (tags, p.long)
    docs = sorted(by_source.values(), key=lambda d: d[1])
    rng.shuffle(docs)
    strata = {0: [], 1: [], 2: []}
    seen = set()
    for _ in range(400000):
        i, j = rng.randrange(len(docs)), rng.randrange(len(docs))
        if i == j or (min(i, j), max(i, j)) in seen:
            continue
        shared = len(docs[i][0] & docs[j][0])
        stratum = min(shared, 2)
        if len(strata[stratum]) < n // 3 and (stratum or rng.random() < 1.0):
            seen.add((min(i, j), max(i, j)))
            union = len(docs[i][0] | docs[j][0])
            strata[stratum].append((shared / union, flat(docs[i][1]), flat(docs[j][1])))
        if all(len(v) >= n // 3 for v in strata.values()):
            break
    return [pair for v in strata.values() for pair in v]


def held_out_definitions(n: int = 300, seed: int = 5) -> list[tuple[str, str]]:
    vocab = load_model().words
    defs = [d for d in wordnet_definitions(load_wordnet().values()) if is_held_out(d.headword)]
    defs += [d for d in gcide_definitions() if is_held_out(d.headword)]
    usable = sorted({(d.headword, flat(d.text, 60)) for d in defs
                     if d.headword in vocab and len(d.text.split()) >= 3})
    random.Random(seed).shuffle(usable)
    return usable[:n]


def main() -> int:
    os.makedirs(DATA, exist_ok=True)
    pairs = docsim_pairs()
    with open(os.path.join(DATA, "docsim_debian.tsv"), "w", encoding="utf-8") as f:
        for label, a, b in pairs:
            f.write(f"{label:.4f}\t{a}\t{b}\n")
    defs = held_out_definitions()
    with open(os.path.join(DATA, "reverse_dictionary_heldout.tsv"), "w", encoding="utf-8") as f:
        for head, text in defs:
            f.write(f"{head}\t{text}\n")
    print(f"{len(pairs)} document pairs, {len(defs)} held-out definitions -> {DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
