"""The distilled static encoder: texts and concepts in one joint space, saved and reloaded."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from world2vec.embeddings import Model, load_model
from world2vec.embeddings.default_model.joint_space import joint_word_vectors
from world2vec.embeddings.sentences import EmptyTextError
from world2vec.embeddings.sentences.distilled import DistilledEncoder
from world2vec.embeddings.words.vectors import WordVectors


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.fixture()
def joint():
    rng = np.random.default_rng(3)
    words = ["cat", "dog", "kitten", "puppy", "car", "engine", "wheel", "road"]
    base = WordVectors(words, unit(rng.normal(size=(len(words), 12))).astype(np.float32),
                       np.arange(800, 0, -100))
    distilled = rng.normal(size=(len(words), 6)) * rng.uniform(0.5, 2.0, size=(len(words), 1))
    wv = joint_word_vectors(base, words, base.counts, distilled, alpha=0.8, buckets=500)
    encoder = DistilledEncoder(wv, np.linalg.norm(distilled, axis=1), split=6, alpha=0.8)
    return wv, encoder, distilled


def test_a_one_word_text_lands_on_its_concept(joint):
    wv, encoder, _ = joint
    vecs = encoder.encode(["Cat", "engine"])
    assert vecs.shape == (2, wv.dim) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-5)
    assert np.allclose(vecs[0], wv.vector("cat")[0], atol=1e-5)
    assert wv.nearest(vecs[1], k=1)[0][0] == "engine"


def test_distilled_part_is_the_weighted_mean_of_token_rows(joint):
    _, encoder, distilled = joint
    vec = encoder.encode(["cat dog dog"])[0]
    expected = unit(distilled[0] + 2 * distilled[1])
    assert np.allclose(vec[:6] / 0.8, expected, atol=1e-5)
    assert np.isclose(np.linalg.norm(vec[6:]), 0.6, atol=1e-5)


def test_batches_agree_with_one_text_at_a_time(joint):
    _, encoder, _ = joint
    texts = ["the cat and the dog", "a car on the road", "kitten", "wheel engine car"]
    together = encoder.encode(texts, batch_size=3)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-6)


def test_unknown_words_are_synthesized_and_empty_texts_refused(joint):
    _, encoder, _ = joint
    assert np.isfinite(encoder.encode(["kittens on roads"])).all()
    with pytest.raises(EmptyTextError, match="text 1"):
        encoder.encode(["cat", "!!! ???"])


def test_the_encoder_survives_a_model_round_trip(joint, tmp_path):
    wv, encoder, _ = joint
    model = Model(wv, None, {"distilled": encoder}, "distilled")
    texts = ["the cat chased the dog", "an engine with a wheel"]
    before = model.encode_texts(texts)
    loaded = load_model(model.save(str(tmp_path / "m")))
    assert loaded.default_sentence == "distilled"
    assert np.allclose(loaded.encode_texts(texts), before, atol=2e-3)  # float16 on disk


def test_longer_texts_weigh_the_distilled_part_by_text_alpha(joint, tmp_path):
    wv, encoder, distilled = joint
    texts = ["cat dog dog", "kitten"]
    tuned = DistilledEncoder(wv, encoder.token_weights, split=6, alpha=0.8, text_alpha=0.95)
    vecs = tuned.encode(texts)
    assert np.allclose(vecs[0, :6] / 0.95, unit(distilled[0] + 2 * distilled[1]), atol=1e-5)
    assert np.isclose(np.linalg.norm(vecs[0, 6:]), np.sqrt(1 - 0.95 ** 2), atol=1e-5)
    assert np.allclose(vecs[1], wv.vector("kitten")[0], atol=1e-5)   # one word: its concept
    model = Model(wv, None, {"distilled": tuned}, "distilled")
    loaded = load_model(model.save(str(tmp_path / "m")))
    assert loaded.sentence_encoders["distilled"].text_alpha == 0.95
    assert np.allclose(loaded.encode_texts(texts), vecs, atol=2e-3)


def test_a_model_saved_without_text_alpha_encodes_as_before(joint, tmp_path):
    wv, encoder, _ = joint
    folder = Model(wv, None, {"distilled": encoder}, "distilled").save(str(tmp_path / "m"))
    config = os.path.join(folder, "sentence", "distilled", "config.json")
    with open(config) as fh:
        saved = json.load(fh)
    saved.pop("text_alpha")
    with open(config, "w") as fh:
        json.dump(saved, fh)
    loaded = load_model(folder).sentence_encoders["distilled"]
    assert loaded.text_alpha == 0.8
    assert np.allclose(loaded.encode(["cat dog"]), encoder.encode(["cat dog"]), atol=2e-3)


def test_text_alpha_out_of_range_is_refused(joint):
    wv, encoder, _ = joint
    with pytest.raises(ValueError, match="text_alpha"):
        DistilledEncoder(wv, encoder.token_weights, split=6, alpha=0.8, text_alpha=1.5)
