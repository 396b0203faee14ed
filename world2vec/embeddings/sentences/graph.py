"""A sentence encoder's computation as an engine graph, for people to look at.

Why: the web page shows what turns a text into a vector, the way TensorBoard shows a
model's graph. The encoders compute with numpy for speed; here the same computation is
written once more with the engine's Tensors for one sample text, so the engine's graph
export (``engine.graph.graph_dict``) can describe it: the learned arrays are parameters,
the text's word vectors constants, the rest operations. Nothing is trained or changed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from world2vec.embeddings.sentences.distilled import DistilledEncoder
from world2vec.embeddings.sentences.reverse_dictionary import MAX_TOKENS, ReverseDictionaryEncoder
from world2vec.embeddings.sentences.sif import SIFEncoder, sif_weights
from world2vec.embeddings.sentences.training import pad, residual, trainable, unit, weighted_bag
from world2vec.engine.graph import graph_dict
from world2vec.engine.ops import concatenate
from world2vec.engine.tensor import Tensor

SAMPLE_TEXT = "a small cat sleeps on the warm mat"


def encoder_graph(model: Any, text: str = SAMPLE_TEXT, encoder: str | None = None) -> dict | None:
    """``graph_dict`` of encoding ``text`` with ``model``'s sentence encoder (the default
    one unless ``encoder`` names another), plus ``encoder``, ``kind``, ``text`` and
    ``tokens`` (the words the text was read as); None for an encoder kind this module
    cannot draw."""
    name = encoder or model.default_sentence
    enc = model.sentence_encoder(name)
    words = model.words
    rows = [words.key_to_index[t] for t in words.tokenizer.tokenize(text)
            if t in words.key_to_index][:MAX_TOKENS] or [0]
    ids, mask = pad([rows], MAX_TOKENS)
    unit_vectors = np.asarray(words.normed[sorted(set(rows))], dtype=np.float32)
    local = np.searchsorted(sorted(set(rows)), ids)          # rows of the gathered vectors
    if isinstance(enc, ReverseDictionaryEncoder):
        params = trainable({"log_weights": enc.log_weights[sorted(set(rows))],
                            "matrix": enc.matrix})
        bag = weighted_bag(params["log_weights"], unit_vectors, local, mask)
        out = unit(residual(bag, params["matrix"]))
    elif isinstance(enc, SIFEncoder):
        # SIF fits, rather than learns, its arrays; they are marked as parameters so the
        # engine records the operations on them (it records none on constants alone).
        weights = np.log(enc.bag.weights[sorted(set(rows))])[:, None].astype(np.float32)
        bag = weighted_bag(Tensor(weights, requires_grad=True, name="sif_weights"),
                           unit_vectors, local, mask)
        if enc.component is not None:
            component = Tensor(enc.component[None, :], requires_grad=True, name="component")
            bag = bag - (bag * component).sum(axis=-1, keepdims=True) * component
        out = unit(bag)
    elif isinstance(enc, DistilledEncoder):
        out = _distilled(enc, sorted(set(rows)), unit_vectors, local, mask)
    else:
        return None
    graph = graph_dict(out)
    graph.update(encoder=name, kind=enc.kind, text=text, tokens=[words.words[r] for r in rows])
    return graph


def _distilled(enc: DistilledEncoder, rows: list[int], unit_vectors: np.ndarray,
               local: np.ndarray, mask: np.ndarray) -> Tensor:
    """Each part (distilled, skip-gram) a weighted bag of its own unit rows, made unit
    and scaled by its share (alpha, beta), the parts side by side."""
    def part(name: str, weights: np.ndarray, vectors: np.ndarray, scale: float) -> Tensor:
        log_w = np.log(np.maximum(weights[rows], 1e-12))[:, None].astype(np.float32)
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        bag = weighted_bag(Tensor(log_w, requires_grad=True, name=name), vectors, local, mask)
        return unit(bag) * scale

    first = part("distilled_weights", enc.token_weights, unit_vectors[:, :enc.split], enc.alpha)
    if enc.split == unit_vectors.shape[1]:
        return first
    sif, _ = sif_weights(enc.words.counts, enc.a)
    second = part("sif_weights", np.asarray(sif), unit_vectors[:, enc.split:], enc.beta)
    return concatenate([first, second], axis=1)
