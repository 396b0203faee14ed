"""encoder_graph: a sentence encoder's computation as the engine's graph export."""

from __future__ import annotations

import numpy as np
from feature_words import feature_words

from world2vec.embeddings.model import Model
from world2vec.embeddings.sentences.distilled import DistilledEncoder
from world2vec.embeddings.sentences.graph import encoder_graph
from world2vec.embeddings.sentences.reverse_dictionary import ReverseDictionaryEncoder
from world2vec.embeddings.sentences.sif import SIFEncoder


def _ops(graph: dict) -> list[str]:
    return [n["op"] for n in graph["nodes"] if n["kind"] == "op"]


def test_reverse_dictionary_graph_has_its_learned_arrays_as_parameters():
    words = feature_words()
    encoder = ReverseDictionaryEncoder(words)
    graph = encoder_graph(Model(words, sentence_encoders={"rd": encoder}), "the cat and a dog")
    names = {n["name"]: n for n in graph["nodes"] if n["name"]}
    assert names["matrix"]["kind"] == "parameter"
    assert names["matrix"]["shape"] == [words.dim, words.dim]
    assert {"embedding", "exp", "matmul", "div"} <= set(_ops(graph))
    assert graph["kind"] == "reverse_dictionary" and graph["encoder"] == "rd"
    assert graph["nodes"][graph["output"]]["shape"] == [1, words.dim]
    assert all(0 <= e["from"] < e["to"] for e in graph["edges"])       # inputs first


def test_sif_graph_removes_its_common_component():
    words = feature_words()
    sif = SIFEncoder(words, component=np.eye(words.dim, dtype=np.float32)[0])
    graph = encoder_graph(Model(words, sentence_encoders={"sif": sif}), "the cat")
    names = {n["name"] for n in graph["nodes"] if n["name"]}
    assert {"sif_weights", "component"} <= names and "sub" in _ops(graph)
    assert graph["tokens"] == ["the", "cat"]


def test_distilled_graph_weights_both_parts_and_joins_them():
    words = feature_words()
    split = words.dim // 2
    encoder = DistilledEncoder(words, np.ones(len(words), np.float32), split=split, alpha=0.8)
    graph = encoder_graph(Model(words, sentence_encoders={"d": encoder}), "the cat")
    names = {n["name"] for n in graph["nodes"] if n["name"]}
    assert {"distilled_weights", "sif_weights"} <= names
    assert "concatenate" in _ops(graph) and graph["kind"] == "distilled"
    assert graph["nodes"][graph["output"]]["shape"] == [1, words.dim]


def test_an_encoder_it_cannot_draw_gives_none():
    class Other:
        kind = "other"

    words = feature_words()
    assert encoder_graph(Model(words, sentence_encoders={"x": Other()}), "cat") is None
