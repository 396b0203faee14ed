"""Unseen words get vectors from their spelling neighbours (models with fitted n-grams),
one word at a time or a batch at once, with the same answers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from world2vec.embeddings import load_model
from world2vec.embeddings.words.subword_neighbours import HASH_SPACE, NgramNeighbourIndex
from world2vec.embeddings.words.subwords import ngram_buckets
from world2vec.embeddings.words.vectors import WordVectors


def test_spelling_neighbours_rank_shared_ngrams_first():
    words = ["cat", "cats", "dog", "bicycle", "cyclist", "happiness", "unhappy"]
    index = NgramNeighbourIndex(words)
    rows, scores = index.ranked("catz")
    assert [words[i] for i in rows[:2]] == ["cat", "cats"]
    assert np.all(np.diff(scores) <= 0)
    rows, _ = index.ranked("bicyclist")
    assert {words[i] for i in rows[:2]} == {"bicycle", "cyclist"}


def test_synthesized_vector_follows_the_best_match():
    words = ["cat", "dog", "zebra"]
    unit = np.eye(3, dtype=np.float32)
    vector = NgramNeighbourIndex(words).synthesize("catz", unit)
    assert vector is not None
    assert int(np.argmax(vector)) == 0
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_a_word_like_nothing_known_is_refused():
    words = ["cat", "dog", "zebra"]
    assert NgramNeighbourIndex(words).synthesize("qqqqxw", np.eye(3, dtype=np.float32)) is None


@pytest.fixture(scope="module")
def default_words():
    return load_model().words


@pytest.mark.parametrize("unseen, expected", [
    ("catz", {"cat"}), ("dogz", {"dog"}), ("kittycat", {"kitty", "kitten"}),
    ("bicyclist", {"cyclist", "bicycling", "cycling"}),
])
def test_default_model_unseen_words_land_near_what_they_spell(default_words, unseen, expected):
    assert unseen not in default_words
    vector, synthesized = default_words.vector(unseen)
    assert synthesized
    neighbours = {word for word, _ in default_words.nearest(vector, 5)}
    assert neighbours & expected, neighbours


def test_default_model_refuses_gibberish(default_words):
    with pytest.raises(KeyError):
        default_words.vector("qqqqxz")


# -- batches: resolving many unseen words at once changes nothing ---------------------------
UNSEEN = ["catz", "dogz", "kittycat", "bicyclist", "qqqqxz", "libxml2", "systemd", "x86_64",
          "gtk3", "pkgconfig", "multithreaded", "a", "é"]


class DenseReference:
    """The per-word formula the index always implemented, spelled out densely: every known
    word scored (float32, n-grams in ascending order), a full sort, ties to the lower row."""

    def __init__(self, words, neighbours=5):
        self.size, self.neighbours = len(words), neighbours
        ptr, self.ids = ngram_buckets(list(words), 3, 6, HASH_SPACE)
        self.owner = np.repeat(np.arange(len(words)), np.diff(ptr))
        self.idf = np.log(len(words) / (1.0 + np.bincount(self.ids, minlength=HASH_SPACE))
                          ).astype(np.float32)
        mass = np.zeros(len(words), dtype=np.float32)
        np.add.at(mass, self.owner, self.idf[self.ids])
        self.norms = np.sqrt(mass) + 1e-6

    def ranked(self, word):
        grams = np.unique(ngram_buckets([word], 3, 6, HASH_SPACE)[1])
        shared = np.isin(self.ids, grams)
        ids, owner = self.ids[shared], self.owner[shared]
        scores = np.zeros(self.size, dtype=np.float32)
        for gram in grams:
            scores[np.unique(owner[ids == gram])] += self.idf[gram]
        scores /= self.norms * np.sqrt(max(float(self.idf[grams].sum()), 1e-6))
        order = np.lexsort((np.arange(self.size), -scores))[:self.neighbours]
        order = order[scores[order] > 0]
        return order, scores[order]


@pytest.fixture(scope="module")
def dense(default_words):
    return DenseReference(default_words.words)


def dense_synthesized(rows, scores, unit_vectors):
    if len(rows) == 0 or scores[0] < 0.2:
        return None
    vector = (scores ** 4.0) @ unit_vectors[rows]
    return vector / np.linalg.norm(vector)


def test_batch_ranking_is_the_dense_per_word_formula(default_words, dense):
    index = NgramNeighbourIndex(default_words.words)
    batch = index.ranked_many(UNSEEN)
    for word, (rows, scores) in zip(UNSEEN, batch):
        want_rows, want_scores = dense.ranked(word)
        np.testing.assert_array_equal(rows, want_rows, err_msg=word)
        np.testing.assert_array_equal(scores, want_scores, err_msg=word)
        one_rows, one_scores = index.ranked(word)
        np.testing.assert_array_equal(rows, one_rows)
        np.testing.assert_array_equal(scores, one_scores)


def test_batch_synthesis_equals_one_word_at_a_time(default_words, dense):
    index = NgramNeighbourIndex(default_words.words)
    unit = default_words.normed
    batch = index.synthesize_many(UNSEEN + UNSEEN[::-1], unit)
    assert batch[UNSEEN.index("qqqqxz")] is None and batch[UNSEEN.index("a")] is None
    for word, vector in zip(UNSEEN + UNSEEN[::-1], batch):
        alone = index.synthesize(word, unit)
        want = dense_synthesized(*dense.ranked(word), unit)
        assert (vector is None) == (alone is None) == (want is None), word
        if vector is not None:
            np.testing.assert_array_equal(vector, alone)
            np.testing.assert_allclose(vector, want, atol=1e-6)


def fresh_copy(wv):
    """The same model with an empty cache of unseen words."""
    return WordVectors(wv.words, wv.vectors, wv.counts, ngrams=wv.ngrams, min_n=wv.min_n,
                       max_n=wv.max_n, settings=wv.settings, tokenizer=wv.tokenizer)


def test_token_rows_resolves_a_batch_as_vector_does_token_by_token(default_words):
    one_by_one, batched = fresh_copy(default_words), fresh_copy(default_words)
    tokens = ["the", "catz", "cat", "qqqqxz", "kittycat", "catz", "Bicyclist", "libxml9"]
    rows, synthesized = batched.token_rows(tokens)
    assert rows == [default_words.key_to_index[t] for t in ("the", "cat")]
    expected = []
    for token in tokens:
        if token in ("the", "cat"):
            continue
        try:
            expected.append(one_by_one.vector(token)[0])
        except KeyError:
            assert token == "qqqqxz"
    assert len(synthesized) == len(expected) == 5  # catz twice, kittycat, bicyclist, libxml9
    for got, want in zip(synthesized, expected):
        np.testing.assert_array_equal(got, want)


def test_concurrent_batches_agree_with_a_serial_one(default_words):
    tokens = [f"{stem}{suffix}" for stem in ("cat", "dog", "bicycl", "kitty") for suffix in
              ("z", "zz", "ist", "ish", "ness", "s2")]
    serial = fresh_copy(default_words).token_rows(tokens)[1]
    shared = fresh_copy(default_words)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda i: shared.token_rows(tokens[i:] + tokens[:i])[1], range(8)))
    for i, answer in enumerate(answers):
        rotated = serial[i:] + serial[:i]
        assert len(answer) == len(rotated)
        for got, want in zip(answer, rotated):
            np.testing.assert_array_equal(got, want)
