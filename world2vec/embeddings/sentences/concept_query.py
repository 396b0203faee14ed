"""Texts asked against the concepts: a reverse-dictionary head blended with the default.

Why a path of its own: the default sentence vector (``/encode``) is built to compare
texts with texts (document similarity, retrieval). Asking which concept a text
describes ("a young dog" -> puppy, ``/similar?text=``) is the reverse-dictionary task,
where a head trained on dictionary definitions (:mod:`reverse_dictionary`) knows more:
it learns which words of a definition matter and where definitions land. Blending the
head's vector with the default one keeps what each knows::

    query = unit( unit(head(text)) + blend * unit(default(text)) )

The blend is chosen on definitions of headwords the head did not train on. With the
bundled model, on 300 held-out definitions (``bench/bench_vectors.py``), the headword
is among the 10 nearest concepts for 0.307 of them with the default encoder and 0.400
with the blend; on the 239 of them that do not contain their own headword, 0.176 and
0.280.

A model names its head and blend in ``sentence/concept_query.json``; without one,
texts are asked with the default encoder alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from world2vec.embeddings.sentences.reverse_dictionary import ReverseDictionaryEncoder
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.engine.linalg import unit_rows

CONFIG_FILE = "concept_query.json"
BLENDS = (0.0, 0.25, 0.5, 1.0, 2.0)


@dataclass(frozen=True)
class ConceptQuery:
    """Which sentence encoder heads concept queries, and the default encoder's share."""

    encoder: str
    blend: float


def read_concept_query(sentence_dir: str) -> ConceptQuery | None:
    path = os.path.join(sentence_dir, CONFIG_FILE)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as fh:
        config = json.load(fh)
    return ConceptQuery(str(config["encoder"]), float(config["blend"]))


def write_concept_query(sentence_dir: str, query: ConceptQuery) -> None:
    with open(os.path.join(sentence_dir, CONFIG_FILE), "w", encoding="utf-8") as fh:
        json.dump(asdict(query), fh, indent=2)
        fh.write("\n")


def head_vectors(head, texts: Sequence[str]) -> np.ndarray:
    """The head's unit rows; a text the head cannot encode (no word it knows, where the
    default encoder still guesses unseen words) gets a zero row, so the blend falls back
    to the default vector for it."""
    try:
        return np.asarray(head.encode(list(texts)), np.float32)
    except ValueError:
        rows = []
        for text in texts:
            try:
                rows.append(np.asarray(head.encode([text]), np.float32)[0])
            except ValueError:
                rows.append(None)
        dim = next((len(r) for r in rows if r is not None), 0)
        return np.vstack([np.zeros(dim, np.float32) if r is None else r for r in rows])


def blended(head: np.ndarray, default: np.ndarray, blend: float) -> np.ndarray:
    """``unit(head + blend * default)`` per row (unit float32)."""
    if head.shape[1] == 0:
        return np.asarray(default, np.float32)
    return unit_rows(head + float(blend) * default, block=None)


def top10_rate(words: WordVectors, queries: np.ndarray, pairs: Sequence[tuple[str, str]]) -> float:
    """Share of (definition, headword) pairs whose headword is among the 10 concepts
    nearest the definition's query row."""
    normed = np.asarray(words.normed, np.float32)
    heads = np.array([words.index(h) for _, h in pairs], dtype=np.int64)
    hits = 0
    for start in range(0, len(pairs), 256):
        scores = np.asarray(queries[start:start + 256], np.float32) @ normed.T
        true = scores[np.arange(len(scores)), heads[start:start + 256]]
        hits += int(((scores > true[:, None]).sum(axis=1) < 10).sum())
    return hits / max(1, len(pairs))


def fit_concept_query(words: WordVectors, default: Callable[[list[str]], np.ndarray],
                      pairs: Sequence[tuple[str, str]], validation: int = 2000,
                      epochs: int = 1, seed: int = 1, progress: bool | None = True
                      ) -> tuple[ReverseDictionaryEncoder, float, dict]:
    """Train a reverse-dictionary head on ``(definition, headword)`` pairs and choose the
    blend on about ``validation`` pairs whose headwords it never trained on (split by
    headword: with the other senses of a word in training, the head looks better than
    it is on words it has not seen, and the blend comes out too small). Returns the
    head, the blend and a report of the validation figures."""
    usable = [(t, h) for t, h in pairs if h in words]
    heads = sorted({h for _, h in usable})
    per_head = len(usable) / max(1, len(heads))
    n_held = min(int(round(validation / per_head)), len(heads) // 5)   # at most a fifth
    held_heads = set(np.random.default_rng(seed).permutation(heads)[:n_held].tolist())
    held = [(t, h) for t, h in usable if h in held_heads]
    train = [(t, h) for t, h in usable if h not in held_heads]
    head = ReverseDictionaryEncoder(words)
    trained = head.fit(train, epochs=epochs, seed=seed, progress=progress)
    known = words.tokenizer.tokenize
    held = [(t, h) for t, h in held if any(w in words for w in known(t))]
    texts = [t for t, _ in held]
    head_rows, default_rows = head_vectors(head, texts), np.asarray(default(texts), np.float32)
    figures = {"default alone": top10_rate(words, default_rows, held)}
    for blend in BLENDS:
        figures[f"head + {blend} x default"] = top10_rate(
            words, blended(head_rows, default_rows, blend), held)
    best = max(BLENDS, key=lambda b: figures[f"head + {b} x default"])
    return head, float(best), {"train": trained, "validation_pairs": len(held),
                               "validation_top10": figures, "blend": best}
