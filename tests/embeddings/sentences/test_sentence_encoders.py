"""Sentence encoders (embeddings/sentences/): SIF and the trained reverse dictionary."""

from __future__ import annotations

import numpy as np
import pytest
from planted_vectors import descriptions, nearest_concept, planted

from world2vec.embeddings.sentences.reverse_dictionary import ReverseDictionaryEncoder, rank_headwords
from world2vec.embeddings.sentences.sif import SIFEncoder


def test_sif_description_from_own_gloss_words_retrieves_the_concept():
    wv, glosses, rng = planted(rotate=False)
    texts = descriptions(glosses, rng, 1, 5)
    sif = SIFEncoder(wv).fit([t for t, _ in texts])
    got = nearest_concept(sif.encode([t for t, _ in texts]), wv, list(glosses))
    assert np.mean([g == c for g, (_, c) in zip(got, texts)]) >= 0.9


def test_trained_reverse_dictionary_learns_what_sif_cannot():
    wv, glosses, rng = planted(rotate=True)
    train = descriptions(glosses, rng, 12, 4)
    test = descriptions(glosses, rng, 2, 5)
    rd = ReverseDictionaryEncoder(wv)
    rd.fit(train, epochs=30, batch_size=32, negatives=20, lr=2e-2, progress=False)
    concepts = list(glosses)
    trained = np.mean([g == c for g, (_, c) in
                       zip(nearest_concept(rd.encode([t for t, _ in test]), wv, concepts), test)])
    sif = SIFEncoder(wv)
    baseline = np.mean([g == c for g, (_, c) in
                        zip(nearest_concept(sif.encode([t for t, _ in test]), wv, concepts), test)])
    assert trained >= 0.8 and trained > baseline + 0.3
    ranks = rank_headwords(rd.encode, wv, test)
    assert ranks["n"] == len(test) and ranks["median_rank"] >= 1


def test_text_with_no_known_word_is_a_clear_error():
    wv, _, _ = planted(rotate=False)
    with pytest.raises(ValueError, match="no word the model knows"):
        SIFEncoder(wv).encode(["f1 f2", "zzz qqq"])
