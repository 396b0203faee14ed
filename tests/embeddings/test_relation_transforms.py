"""Relation transforms (embeddings/relations.py): linear maps learned from word pairs."""

from __future__ import annotations

import numpy as np
import pytest
from planted_vectors import DIM, planted, random_rotation, unit

from world2vec.embeddings.relations import RelationTransform
from world2vec.embeddings.words.vectors import WordVectors


@pytest.mark.parametrize("method", ["procrustes", "linear", "lstsq"])
def test_relation_transform_learned_from_planted_pairs_maps_new_inputs(method):
    rng = np.random.default_rng(5)
    dim, n = 16, 80
    rotation = random_rotation(rng, dim)
    sources = unit(rng.normal(size=(n, dim)))
    targets = unit(sources @ rotation)
    words = [f"s{i}" for i in range(n)] + [f"t{i}" for i in range(n)]
    wv = WordVectors(words, np.vstack([sources, targets]).astype(np.float32))
    pairs = [(f"s{i}", f"t{i}") for i in range(n)]
    transform = RelationTransform.fit_words("planted", wv, pairs[:60], method=method)
    accuracy, scored = transform.evaluate(wv, pairs[60:], k=1)
    assert scored == 20 and accuracy == 1.0
    mapped = transform.apply(wv.vector("s70")[0])
    assert wv.nearest(mapped, k=1, exclude=("s70",))[0][0] == "t70"


def test_relation_transform_needs_pairs_and_a_clean_name():
    wv, _, _ = planted(rotate=False)
    with pytest.raises(KeyError):
        RelationTransform.fit_words("r", wv, [("nope", "f1")])
    with pytest.raises(ValueError, match="relation name"):
        RelationTransform("../evil", np.eye(DIM))
