"""Shared helpers for the memory tests."""

import numpy as np

DIM = 16


def random_items(n, dim=DIM, seed=0, prefix="i"):
    rng = np.random.default_rng(seed)
    kinds = ["fact", "qa", "concept"]
    return [{"id": f"{prefix}{i}", "vector": rng.normal(size=dim).tolist(), "kind": kinds[i % 3],
             "text": f"text {i}", "tags": [t for t in ("red", "blue", "green") if rng.random() < 0.4],
             "payload": {"n": int(i), "group": ["a", "b"][i % 2]}} for i in range(n)]


def bag_of_words_encoder(dim, empty="raise"):
    """A deterministic bag-of-words ``encode_texts`` (a stand-in for the model's): each
    token a fixed random vector, a text their sum. A text with no token raises
    ValueError (``empty="raise"``, like the model) or becomes a unit axis (``"axis"``)."""
    import zlib

    from world2vec.memory.bm25 import tokenize

    def encode_texts(texts):
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                out[row] += np.random.default_rng(zlib.crc32(token.encode())).normal(size=dim)
            if not out[row].any():
                if empty == "raise":
                    raise ValueError(f"text {row} has no known word")
                out[row, 0] = 1.0
        return out

    return encode_texts
