"""Definitions from WordNet and GCIDE as (headword, text) pairs, plus a held-out split.

Why one place: the same pairs feed three consumers: the text corpus that trains the
word/concept vectors, the reverse-dictionary sentence encoder, and its evaluation.
The held-out split must be identical for all three, otherwise the evaluation would
leak (a definition seen while training the word vectors would make its headword
look easy to find). The split is by headword, decided by a stable hash, so a
held-out word has *none* of its definitions in any training data (Hill et al.'s
"unseen" setting) and the split does not depend on file order or Python's hash seed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from world2vec.embeddings.default_model.gcide import DEFAULT_GCIDE_DICT, iter_entries
from world2vec.embeddings.default_model.wordnet import Synset


@dataclass(frozen=True)
class Definition:
    headword: str      # concept token, e.g. "cat" or "true_cat"
    text: str          # the definition, plain text
    source: str        # "wordnet" or "gcide"


def is_held_out(headword: str, percent: float = 1.0) -> bool:
    """Whether a headword belongs to the held-out evaluation split (stable across runs)."""
    return (zlib.crc32(headword.encode("utf-8")) % 10000) < percent * 100


def wordnet_definitions(synsets: Iterable[Synset], max_lemmas: int = 3) -> Iterator[Definition]:
    """One pair per (lemma, synset) for the synset's first ``max_lemmas`` lemmas."""
    for synset in synsets:
        if not synset.definition:
            continue
        for lemma in synset.lemmas[:max_lemmas]:
            yield Definition(lemma, synset.definition, "wordnet")


def gcide_definitions(dict_path: str = DEFAULT_GCIDE_DICT) -> Iterator[Definition]:
    """Every sense of every entry, and run-in phrases (``cat_nap``) with their sense."""
    for entry in iter_entries(dict_path):
        for text in entry.definitions:
            yield Definition(entry.headword, text, "gcide")
        for phrase, text in entry.phrases:
            yield Definition(phrase, text, "gcide")

