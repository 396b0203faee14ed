"""BagOfWords.average: the weighted mean every sentence encoder starts from."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings.sentences.base import BagOfWords, EmptyTextError
from world2vec.embeddings.words.vectors import WordVectors


@pytest.fixture
def bag():
    rng = np.random.default_rng(3)
    words = ["the", "cat", "dog", "sat", "mat", "catnip"]
    ngrams = rng.normal(size=(64, 5)).astype(np.float32)
    wv = WordVectors(words, rng.normal(size=(6, 5)).astype(np.float32), ngrams=ngrams)
    return BagOfWords(wv, weights=np.linspace(0.2, 1.0, 6), oov_weight=0.7)


def one_text_mean(bag, text):
    """The mean written out for one text: known rows by their weight, unseen words
    synthesized from subwords with the OOV weight."""
    rows, synthesized = bag.words.token_rows(bag.words.tokenizer.tokenize(text))
    vectors = [bag.words.normed[r] for r in rows] + synthesized
    weights = [bag.weights[r] for r in rows] + [bag.oov_weight] * len(synthesized)
    return np.average(np.array(vectors), axis=0, weights=np.array(weights))


def test_average_of_a_batch_is_each_text_s_weighted_mean(bag):
    texts = ["The cat sat on the mat", "dogs and catbirds", "catbirds catbirds DOG",
             "mat", "the the the dogma sat"]
    got = bag.average(texts)
    assert got.shape == (len(texts), 5) and got.dtype == np.float32
    for text, row in zip(texts, got):
        np.testing.assert_allclose(row, one_text_mean(bag, text), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bag.average(texts[2:3])[0], got[2], rtol=1e-6, atol=1e-7)


def test_average_names_the_first_text_with_nothing_known(bag):
    assert bag.average([]).shape == (0, 5)
    with pytest.raises(EmptyTextError, match=r"text 1 .*'\?\?'"):
        bag.average(["the cat", "??", "a", "dog"])
    with pytest.raises(TypeError, match="strings"):
        bag.average(["the cat", 3])
