"""A model directory (embeddings/model.py): every encoder saved and loaded back, and a plain
word-vectors directory opened as a model."""

from __future__ import annotations

import numpy as np
import pytest
from planted_vectors import DIM, descriptions, planted

from world2vec.embeddings import Model, load_model
from world2vec.embeddings.objects import ObjectEncoder
from world2vec.embeddings.relations import RelationTransform
from world2vec.embeddings.sentences.reverse_dictionary import ReverseDictionaryEncoder
from world2vec.embeddings.sentences.sif import SIFEncoder


def test_model_directory_round_trip(tmp_path):
    wv, glosses, rng = planted(rotate=True, seed=7)
    train = descriptions(glosses, rng, 4, 4)
    rd = ReverseDictionaryEncoder(wv)
    rd.fit(train, epochs=2, batch_size=32, negatives=10, progress=False)
    sif = SIFEncoder(wv).fit([t for t, _ in train])
    objects = ObjectEncoder(wv)
    objects.fit([{"id": "c1", "features": glosses["c1"], "relations": [["is_a", "c2"]]}],
                epochs=2, progress=False)
    relation = RelationTransform.fit_words("next", wv, [(f"f{i}", f"f{i + 1}") for i in range(30)])
    model = Model(wv, None, {"sif": sif, "reverse_dictionary": rd}, "reverse_dictionary",
                  objects, {"next": relation})
    path = model.save(str(tmp_path / "m"), dtype="float32")
    loaded = load_model(path)
    texts = ["f1 f2 f3", "f4 f5"]
    assert loaded.default_sentence == "reverse_dictionary"
    np.testing.assert_allclose(loaded.encode_texts(texts), model.encode_texts(texts), atol=1e-3)
    np.testing.assert_allclose(loaded.encode_texts(texts, encoder="sif"),
                               model.encode_texts(texts, encoder="sif"), atol=1e-5)
    obj = [{"id": "new", "features": ["f3"], "relations": [["is_a", "c2"]]}]
    np.testing.assert_allclose(loaded.encode_objects(obj), model.encode_objects(obj), atol=1e-3)
    np.testing.assert_allclose(loaded.relations["next"].apply(wv.normed[:3]),
                               relation.apply(wv.normed[:3]), atol=1e-6)
    vecs, synth = loaded.encode_concepts(["c1", "f2"])
    assert vecs.shape == (2, DIM) and synth == [False, False]
    with pytest.raises(KeyError, match="nothere"):
        loaded.encode_concepts(["nothere"])
    with pytest.raises(FileExistsError):
        model.save(path)


def test_a_plain_word_vectors_directory_loads_as_a_model(tmp_path):
    wv, glosses, _ = planted(rotate=False)
    path = wv.save(str(tmp_path / "plain"))
    model = load_model(path)
    assert model.default_sentence == "sif" and model.relations == {}
    vec = model.encode_texts([" ".join(glosses["c3"])])
    top = [w for w, _ in model.words.nearest(vec[0], k=1)]
    assert top == ["c3"]
    obj = model.encode_objects([{"features": glosses["c3"][:3], "relations": [["is_a", "c3"]]}])
    assert obj.shape == (1, DIM)
