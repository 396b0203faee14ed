"""Shared helpers for the memory tests."""

import numpy as np

DIM = 16


def random_items(n, dim=DIM, seed=0, prefix="i"):
    rng = np.random.default_rng(seed)
    kinds = ["fact", "qa", "concept"]
    return [{"id": f"{prefix}{i}", "vector": rng.normal(size=dim).tolist(), "kind": kinds[i % 3],
             "text": f"text {i}", "tags": [t for t in ("red", "blue", "green") if rng.random() < 0.4],
             "payload": {"n": int(i), "group": ["a", "b"][i % 2]}} for i in range(n)]
