"""Carrying a model's encoders over to its continued word vectors.

Why carry, not retrain: the sentence encoder, the object encoder and the relation maps
were trained on the base model's word vectors, which a continued training moves only
slightly (docs/MODELS.md has the measured neighbourhood overlap), so they stay valid in
the new space; retraining them would need their training data (dictionary
definitions, WordNet objects), which a running service does not have. What the new
words need is their per-word entries: a trained encoder's learned weight of a word it
never saw is the weight it already gives an unseen word (its ``oov_log_weight``), and
an object feature weight starts where an untrained encoder starts (log SIF weight).
Relation maps and the encoders' matrices are not per word and carry over unchanged.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

from world2vec.embeddings.model import Model
from world2vec.embeddings.objects import ObjectEncoder
from world2vec.embeddings.sentences import SentenceEncoder, load_sentence_encoder
from world2vec.embeddings.sentences.distilled import DistilledEncoder
from world2vec.embeddings.sentences.reverse_dictionary import ReverseDictionaryEncoder
from world2vec.embeddings.sentences.sif import SIFEncoder, sif_weights
from world2vec.embeddings.words.vectors import WordVectors

__all__ = ["carry_components"]


def carry_components(base: Model, words: WordVectors, base_size: int) -> tuple[Model, list[str]]:
    """A model over ``words`` (``base``'s words first, then new ones) with ``base``'s
    encoders and relations, and the names of sentence encoders left out (a kind this
    module cannot extend that is not the default one; the default one raises)."""
    encoders: dict[str, SentenceEncoder] = {}
    dropped: list[str] = []
    for name, encoder in base.sentence_encoders.items():
        try:
            encoders[name] = _sentence_encoder(encoder, words, base_size)
        except (ValueError, KeyError, OSError) as exc:
            if name == base.default_sentence:
                raise ValueError(f"cannot carry the default sentence encoder {name!r} "
                                 f"over to the new words: {exc}") from exc
            dropped.append(name)
    objects = _objects(base.objects, words, base_size)
    model = Model(words, None, encoders, base.default_sentence, objects, dict(base.relations),
                  base.concept_query)
    return model, dropped


def _extended(per_word: np.ndarray, fill: np.ndarray | float, base_size: int,
              size: int) -> np.ndarray:
    """``per_word`` (base_size, 1) with ``size - base_size`` more rows of ``fill``."""
    old = np.asarray(per_word, dtype=np.float32).reshape(-1, 1)
    if len(old) != base_size:
        raise ValueError(f"per-word weights have {len(old)} rows, the base model "
                         f"{base_size} words")
    new = np.empty((size - base_size, 1), dtype=np.float32)
    new[:, 0] = fill
    return np.vstack([old, new])


def _sentence_encoder(encoder: Any, words: WordVectors, base_size: int) -> SentenceEncoder:
    if isinstance(encoder, SIFEncoder):   # weights follow the counts; the component is kept
        return SIFEncoder(words, a=encoder.a, component=encoder.component)
    if isinstance(encoder, ReverseDictionaryEncoder):
        weights = _extended(encoder.log_weights, encoder.oov_log_weight, base_size, len(words))
        carried = ReverseDictionaryEncoder(words, weights, encoder.matrix)
        carried.oov_log_weight = encoder.oov_log_weight
        return carried
    if isinstance(encoder, DistilledEncoder):   # a new word weighs what an unseen one did
        weights = _extended(encoder.token_weights, encoder.oov_weight, base_size, len(words))
        return DistilledEncoder(words, weights[:, 0], split=encoder.split, alpha=encoder.alpha,
                                oov_weight=encoder.oov_weight, a=encoder.a,
                                text_alpha=encoder.text_alpha)
    # Another kind: if it keeps nothing per word, saving and reopening it over the new
    # words is the whole job; if it does, reopening fails and says why.
    with tempfile.TemporaryDirectory(prefix="world2vec-carry-") as folder:
        path = os.path.join(folder, "encoder")
        encoder.save(path)
        return load_sentence_encoder(path, words)


def _objects(encoder: ObjectEncoder, words: WordVectors, base_size: int) -> ObjectEncoder:
    start = np.log(sif_weights(words.counts)[0][base_size:]) if len(words) > base_size else 0.0
    weights = _extended(encoder.log_weights, start, base_size, len(words))
    return ObjectEncoder(words, encoder.relation_names, encoder.offsets, weights, encoder.matrix)
