"""Concept queries: a text asked against the concepts through a reverse-dictionary head."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings import Model, load_model
from world2vec.embeddings.sentences.concept_query import ConceptQuery, fit_concept_query
from world2vec.embeddings.sentences.reverse_dictionary import ReverseDictionaryEncoder
from world2vec.embeddings.sentences.sif import SIFEncoder
from world2vec.embeddings.words.vectors import WordVectors

WORDS = ["cat", "dog", "kitten", "puppy", "animal", "young", "small", "pet", "furry", "barks",
         "car", "engine", "wheel", "road", "machine", "drives", "vehicle", "fast"]


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.fixture()
def words():
    rng = np.random.default_rng(5)
    return WordVectors(WORDS, unit(rng.normal(size=(len(WORDS), 10))).astype(np.float32),
                       np.arange(1800, 0, -100))


def test_queries_blend_the_head_with_the_default_and_survive_a_round_trip(words, tmp_path):
    head = ReverseDictionaryEncoder(words, matrix=np.eye(10, dtype=np.float32) * 0.5)
    model = Model(words, None, {"sif": SIFEncoder(words), "reverse_dictionary": head}, "sif",
                  concept_query=ConceptQuery("reverse_dictionary", 0.25))
    texts = ["a young dog", "a fast vehicle"]
    expected = unit(head.encode(texts) + 0.25 * model.encode_texts(texts))
    assert np.allclose(model.encode_concept_queries(texts), expected, atol=1e-6)
    loaded = load_model(model.save(str(tmp_path / "m")))
    assert loaded.concept_query == ConceptQuery("reverse_dictionary", 0.25)
    assert np.allclose(loaded.encode_concept_queries(texts), expected, atol=2e-3)


def test_without_a_head_a_query_is_the_default_sentence_vector(words):
    model = Model(words, None, {"sif": SIFEncoder(words)}, "sif",
                  concept_query=ConceptQuery("reverse_dictionary", 0.25))   # names no encoder
    assert model.concept_query is None
    assert np.allclose(model.encode_concept_queries(["a young dog"]),
                       model.encode_texts(["a young dog"]))


def test_a_text_the_head_cannot_read_falls_back_to_the_default(words):
    class Unreadable:
        def encode(self, texts, batch_size=1024):
            if any("zzz" in t for t in texts):
                raise ValueError("no word the head knows")
            return unit(np.ones((len(texts), 10), np.float32))

        def save(self, path):
            raise NotImplementedError

    model = Model(words, None, {"sif": SIFEncoder(words), "head": Unreadable()}, "sif",
                  concept_query=ConceptQuery("head", 0.5))
    rows = model.encode_concept_queries(["a young dog", "zzz dog"])
    assert np.allclose(rows[1], model.encode_texts(["zzz dog"])[0], atol=1e-6)
    assert not np.allclose(rows[0], model.encode_texts(["a young dog"])[0])


def first_rate(encoder, words, pairs):
    hits = [words.nearest(encoder.encode([t])[0], 1, exclude=[])[0][0] == h for t, h in pairs]
    return sum(hits) / len(hits)


def test_training_the_head_puts_headwords_first(words):
    definitions = {
        "kitten": ["a young cat", "a small young cat", "young furry pet cat"],
        "puppy": ["a young dog", "a small young dog", "young pet dog that barks"],
        "cat": ["a small furry pet animal", "furry animal pet"],
        "dog": ["a pet animal that barks", "animal that barks"],
        "car": ["a machine that drives on the road", "a road vehicle with an engine"],
        "vehicle": ["a machine that drives", "a machine with wheel and engine"],
    }
    pairs = [(t, h) for h, ts in definitions.items() for t in ts]
    head, blend, report = fit_concept_query(words, SIFEncoder(words).encode, pairs * 20,
                                            validation=6, epochs=100, progress=False)
    assert blend in (0.0, 0.25, 0.5, 1.0, 2.0) and report["train"]["pairs"] > 0
    assert set(report["validation_top10"]) >= {"default alone", "head + 0.25 x default"}
    assert first_rate(head, words, pairs) > first_rate(ReverseDictionaryEncoder(words), words,
                                                       pairs) + 0.2
