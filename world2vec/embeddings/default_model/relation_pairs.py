"""Example pairs for the default model's relation transforms, mined from WordNet.

Why WordNet and not the analogy test file: ``questions-words.txt`` is evaluation
data and must never train anything. WordNet states these relations outright:
a national capital is an *instance of* ``national_capital`` and *part of* its
country; ``noun.exc`` lists irregular plurals; adjectives carry antonym pointers;
adverbs carry pertainym pointers to the adjective they derive from.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from world2vec.embeddings.default_model.wordnet import Synset


def _single(word: str) -> bool:
    return word.isalpha()


def capital_pairs(synsets: dict[tuple[str, int], Synset]) -> list[tuple[str, str]]:
    """(country, capital), e.g. ("france", "paris")."""
    capital_classes = {s.key for s in synsets.values() if "national_capital" in s.lemmas}
    pairs = []
    for s in synsets.values():
        if not any(p.relation == "instance_hypernym" and p.target in capital_classes
                   for p in s.pointers):
            continue
        for p in s.pointers:
            if p.relation == "part_holonym" and p.target in synsets:
                country = synsets[p.target].lemmas[0]
                if _single(country) and _single(s.lemmas[0]):
                    pairs.append((country, s.lemmas[0]))
                break
    return sorted(set(pairs))


def plural_pairs(synsets: dict[tuple[str, int], Synset], known: Callable[[str], bool],
                 wordnet_dir: str = "/usr/share/wordnet") -> list[tuple[str, str]]:
    """(singular, plural): irregular ones from noun.exc, regular "-s" ones the model knows."""
    pairs = set()
    exc = os.path.join(wordnet_dir, "noun.exc")
    if os.path.exists(exc):
        with open(exc, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and _single(parts[0]) and _single(parts[1]) \
                        and known(parts[0]) and known(parts[1]):
                    pairs.add((parts[1], parts[0]))
    for s in synsets.values():
        if s.pos != "n":
            continue
        for lemma in s.lemmas[:1]:
            plural = lemma + "s"
            if _single(lemma) and len(lemma) > 2 and known(lemma) and known(plural):
                pairs.add((lemma, plural))
    return sorted(pairs)


def _pointer_lemma_pairs(synsets: dict[tuple[str, int], Synset], pos: str, relation: str
                         ) -> set[tuple[str, str]]:
    """(source lemma, target lemma) of lexical ``relation`` pointers from ``pos`` synsets,
    single words only: the pointers that link one word to another, not whole synsets."""
    pairs = set()
    for s in synsets.values():
        if s.pos != pos:
            continue
        for p in s.pointers:
            if p.relation == relation and p.source_word and p.target in synsets:
                a = s.lemmas[p.source_word - 1]
                b = synsets[p.target].lemmas[p.target_word - 1]
                if _single(a) and _single(b):
                    pairs.add((a, b))
    return pairs


def antonym_pairs(synsets: dict[tuple[str, int], Synset]) -> list[tuple[str, str]]:
    """(adjective, its antonym), e.g. ("good", "bad")."""
    return sorted(_pointer_lemma_pairs(synsets, "a", "antonym"))


def adverb_pairs(synsets: dict[tuple[str, int], Synset]) -> list[tuple[str, str]]:
    """(adjective, adverb), e.g. ("quick", "quickly"), from adverbs' pertainym pointers."""
    return sorted((adj, adv) for adv, adj in _pointer_lemma_pairs(synsets, "r", "pertainym"))
