"""A small model directory with known geometry, for the service's tests.

Why built, not trained: the tests must assert *answers* (man : king :: woman :
queen, cat's nearest neighbour is an animal) without waiting for training or
depending on a large model's quirks. Each word's vector is a sum of named
semantic features plus a little seeded noise, so the geometry is by construction;
the model directory itself is written with the embeddings layer's real
``Model.save`` (so the service loads it exactly as it loads any model), with
subword n-gram rows (for synthesized unseen words) and a training event log.
"""

from __future__ import annotations

import json
import os

import numpy as np

FEATURES = ["royal", "male", "female", "person", "animal", "feline", "canine", "city",
            "country", "france", "germany", "italy", "sport", "violence", "food", "young",
            "vehicle", "weather", "music", "science"]

WORDS: dict[str, list[str]] = {
    "king": ["royal", "male", "person"], "queen": ["royal", "female", "person"],
    "man": ["male", "person"], "woman": ["female", "person"],
    "prince": ["royal", "male", "person", "young"], "princess": ["royal", "female", "person", "young"],
    "boy": ["male", "person", "young"], "girl": ["female", "person", "young"],
    "cat": ["animal", "feline"], "kitten": ["animal", "feline", "young"],
    "lion": ["animal", "feline", "royal"], "tiger": ["animal", "feline"],
    "dog": ["animal", "canine"], "puppy": ["animal", "canine", "young"],
    "wolf": ["animal", "canine"], "fox": ["animal", "canine"],
    "paris": ["city", "france"], "berlin": ["city", "germany"], "rome": ["city", "italy"],
    "france": ["country", "france"], "germany": ["country", "germany"],
    "italy": ["country", "italy"],
    "football": ["sport"], "tennis": ["sport"], "goal": ["sport"], "match": ["sport"],
    "team": ["sport", "person"], "player": ["sport", "person"],
    "war": ["violence"], "attack": ["violence"], "weapon": ["violence"], "fight": ["violence"],
    "kill": ["violence"], "bread": ["food"], "cheese": ["food"], "pizza": ["food", "italy"],
    "apple": ["food"], "car": ["vehicle"], "truck": ["vehicle"], "train": ["vehicle"],
    "rain": ["weather"], "snow": ["weather"], "sun": ["weather"], "song": ["music"],
    "guitar": ["music"], "piano": ["music"], "physics": ["science"], "atom": ["science"],
    "energy": ["science"],
}
FILLER = ["the", "a", "is", "of", "and", "in", "on", "with", "to", "small", "big", "good"]


def build_model(path: str, dim: int = 32, seed: int = 7, subwords: bool = True) -> str:
    """Write the model directory at ``path`` and return it; ``subwords=False`` leaves out
    the n-gram rows, so an unseen word cannot be synthesized (it is an unknown concept)."""
    from world2vec.embeddings.model import Model
    from world2vec.embeddings.words.vectors import WordVectors

    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((dim, dim)))[0][:len(FEATURES)]
    feature = {name: basis[i] for i, name in enumerate(FEATURES)}
    words = list(WORDS) + FILLER
    vectors = []
    for w in words:
        v = sum((feature[f] for f in WORDS.get(w, [])), np.zeros(dim)) + 0.03 * rng.standard_normal(dim)
        vectors.append(v)
    vectors = np.asarray(vectors, dtype=np.float32)
    counts = np.array([50 if w not in FILLER else 5000 for w in words], dtype=np.int64)
    ngrams = rng.standard_normal((4096, dim)).astype(np.float32)
    tmp_events = path.rstrip("/") + ".events.jsonl"
    with open(tmp_events, "w", encoding="utf-8") as fh:
        for step in range(0, 1000, 10):
            fh.write(json.dumps({"type": "scalar", "tag": "loss", "step": step,
                                 "value": 3.0 * np.exp(-step / 300) + 0.5}) + "\n")
            fh.write(json.dumps({"type": "scalar", "tag": "lr", "step": step,
                                 "value": 0.025 * (1 - step / 1000) + 1e-4}) + "\n")
    wv = WordVectors(words, vectors, counts, ngrams=ngrams if subwords else None, min_n=3, max_n=5,
                     name="fixture-features", events_path=tmp_events)
    Model(wv).save(path, dtype="float32")
    os.remove(tmp_events)
    return path


if __name__ == "__main__":
    import sys
    print(build_model(sys.argv[1]))
