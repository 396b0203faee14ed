"""The object encoder (embeddings/objects.py): features and relations to a concept-space vector."""

from __future__ import annotations

import numpy as np
import pytest
from planted_vectors import planted

from world2vec.embeddings.objects import ObjectEncoder, ObjectError


def test_objects_move_toward_the_concepts_they_relate_to():
    wv, glosses, rng = planted(rotate=True, seed=3)
    concepts = list(glosses)
    objects = []
    for i in range(200):
        target = concepts[i % len(concepts)]
        feats = list(rng.choice(glosses[target], 3, replace=False))
        other = concepts[(i * 7 + 3) % len(concepts)]
        objects.append({"id": f"obj{i}", "features": feats,
                        "relations": [["is_a", target], ["near", other]]})
    enc = ObjectEncoder(wv)

    def closeness():
        vecs = enc.encode(objects)
        targets = wv.normed[[wv.index(o["relations"][0][1]) for o in objects]]
        return float(np.mean(np.sum(vecs * targets, axis=1)))

    before = closeness()
    enc.fit(objects, epochs=15, negatives=5, lr=2e-2, progress=False)
    after = closeness()
    assert after > before + 0.05
    assert "is_a" in enc.relation_names


def test_bad_objects_are_named():
    wv, _, _ = planted(rotate=False)
    enc = ObjectEncoder(wv)
    with pytest.raises(ObjectError, match="object 1"):
        enc.encode([{"features": ["f1"]}, {"features": "f1"}])
    with pytest.raises(ObjectError, match="no feature or relation target"):
        enc.encode([{"id": "x", "features": ["???"]}])
