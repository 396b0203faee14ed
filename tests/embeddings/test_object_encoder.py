"""The object encoder (embeddings/objects.py): features and relations to a concept-space vector."""

from __future__ import annotations

import numpy as np
import pytest
from planted_vectors import DIM, planted

from world2vec.embeddings.objects import ObjectEncoder, ObjectError, UnknownObjectError
from world2vec.embeddings.words.vectors import WordVectors


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


@pytest.mark.parametrize("obj,message", [
    ({"features": ["f1"], "feature": ["f2"]}, "unknown field"),
    ({"id": 7, "features": ["f1"]}, "'id' must be a string"),
    ({"features": ["f1", ""]}, "'features' must be a list of non-empty strings"),
    ({"relations": [["", "f1"]]}, "'relations' must be a list"),
    ({"relations": [["is_a"]]}, "'relations' must be a list"),
    ({"id": "x"}, "give 'features' or 'relations'"),
])
def test_a_malformed_object_is_refused_with_what_is_wrong(obj, message):
    wv, _, _ = planted(rotate=False)
    with pytest.raises(ObjectError, match=message) as caught:
        ObjectEncoder(wv).encode([{"features": ["f1"]}, obj])
    assert "object 1" in str(caught.value)
    assert not isinstance(caught.value, UnknownObjectError)


def test_an_object_with_nothing_known_says_which_and_is_told_apart():
    wv, _, _ = planted(rotate=False)
    with pytest.raises(UnknownObjectError) as caught:
        ObjectEncoder(wv).encode([{"features": ["f1"]},
                                  {"id": "ghost", "features": ["???"],
                                   "relations": [["is_a", "zzz"]]}])
    assert (caught.value.position, caught.value.object_id) == (1, "ghost")


def test_an_unseen_relation_target_is_built_from_its_subwords_like_a_concept():
    rng = np.random.default_rng(5)
    words = ["cat", "dog", "fur"]
    wv = WordVectors(words, rng.normal(size=(3, DIM)).astype(np.float32), np.full(3, 100),
                     ngrams=rng.normal(size=(512, DIM)).astype(np.float32), min_n=3, max_n=5)
    enc = ObjectEncoder(wv)
    synthesized = wv.vector("catz")[0]
    only_target = enc.encode([{"relations": [["is_a", "catz"]]}])[0]
    np.testing.assert_allclose(only_target, synthesized, atol=1e-5)
    with_fur = enc.encode([{"features": ["fur"], "relations": [["is_a", "catz"]]}])[0]
    assert with_fur @ synthesized > with_fur @ wv.normed[wv.index("dog")]
