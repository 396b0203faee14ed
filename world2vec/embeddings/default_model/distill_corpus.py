"""The unlabelled text the student learns from, and the tokens it adds to the vocabulary.

Why these texts: distillation needs many texts the teacher can encode, from sources
anyone can rebuild offline and redistribute: Debian package descriptions (technical
prose: what a daemon, a codec or a library does), their one-line synopses, WordNet
glosses and GCIDE definitions (general vocabulary). Held-out definitions (the
reverse-dictionary test) and held-out package descriptions (the document-similarity
test) are never included. No FAQ, question-answer or programming-language
documentation text is used: those are evaluation material.

Why extra tokens: a dictionary vocabulary lacks the words of technical text
("plugins", "json", "daemon", "gtk"); without a row each such word would be
synthesized from character n-grams. Frequent ones get a row of their own.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from world2vec.embeddings.default_model.debian_packages import Package, is_held_out_description
from world2vec.embeddings.default_model.definitions import Definition, is_held_out

SOURCES = ("package_long", "package_short", "wordnet", "gcide")


@dataclass(frozen=True)
class DistillText:
    source: str     # one of SOURCES
    text: str


def first_words(text: str, limit: int) -> str:
    return " ".join(text.split()[:limit])


def distill_texts(packages: Iterable[Package], definitions: Iterable[Definition],
                  n_long: int = 22000, n_short: int = 18000, n_wordnet: int = 15000,
                  n_gcide: int = 10000, max_words: int = 64, seed: int = 1) -> list[DistillText]:
    """A shuffled sample of training texts per source (held-out items left out).

    A package gives its long description's first paragraph or its synopsis (never
    both, so the two test nothing about each other); duplicate texts are dropped.
    The result is shuffled, so any prefix (a partly encoded cache) mixes all sources.
    """
    rng = random.Random(seed)
    pkgs = sorted((p for p in packages if not is_held_out_description(p.md5)), key=lambda p: p.md5)
    rng.shuffle(pkgs)
    texts = [DistillText("package_long", first_words(p.long.split("\n")[0], max_words))
             for p in pkgs[:n_long]]
    texts += [DistillText("package_short", p.short) for p in pkgs[n_long:n_long + n_short]]
    by_source: dict[str, list[str]] = {"wordnet": [], "gcide": []}
    for d in definitions:
        if d.source in by_source and not is_held_out(d.headword):
            by_source[d.source].append(first_words(d.text, max_words))
    for source, limit in (("wordnet", n_wordnet), ("gcide", n_gcide)):
        pool = sorted(set(by_source[source]))
        rng.shuffle(pool)
        texts += [DistillText(source, t) for t in pool[:limit]]
    seen: set[str] = set()
    unique = []
    for t in texts:
        if t.text and t.text not in seen:
            seen.add(t.text)
            unique.append(t)
    rng.shuffle(unique)
    return unique


def extra_vocabulary(texts: Iterable[str], tokenize: Callable[[str], list[str]],
                     known: Callable[[str], bool], min_count: int = 8,
                     limit: int = 20000) -> list[tuple[str, int]]:
    """Frequent tokens of ``texts`` the vocabulary lacks (no numbers, no single letters)."""
    counts = Counter(t for text in texts for t in tokenize(text))
    ranked = sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))
    return [(w, c) for w, c in ranked
            if c >= min_count and len(w) > 1 and not w.isdigit() and not known(w)][:limit]


def contrastive_pairs(definitions: Iterable[Definition], packages: Iterable[Package],
                      tokenize: Callable[[str], list[str]], index: dict[str, int],
                      limit: int, seed: int = 1) -> list[tuple[list[int], list[int]]]:
    """Up to ``limit`` (anchor ids, positive ids) pairs, half headword -> definition (the
    headword dropped from its definition), half synopsis -> long description; held-out
    items left out. In-batch negatives come from the other pairs of a batch."""
    if limit <= 0:
        return []
    rng = random.Random(seed)

    def ids(text: str, drop: str = "") -> list[int]:
        return [index[t] for t in tokenize(text) if t in index and t != drop][:64]

    heads = [([index[d.headword]], ids(d.text, d.headword)) for d in definitions
             if d.headword in index and not is_held_out(d.headword)]
    descs = [(ids(p.short), ids(p.long.split("\n")[0])) for p in packages
             if not is_held_out_description(p.md5)]
    out = []
    for pool in (heads, descs):
        pool = [(a, b) for a, b in pool if a and b]
        rng.shuffle(pool)
        out += pool[:limit // 2]
    rng.shuffle(out)
    return out
