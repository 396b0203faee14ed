"""WordVectors queries: neighbours, analogies, OOV handling and spelling suggestions."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings.words.vectors import WordVectors


@pytest.fixture
def wv():
    vecs = {"man": [1, 0, 0, 0.1], "woman": [0, 1, 0, 0.1], "king": [1, 0, 1, 0.1],
            "queen": [0, 1, 1, 0.1], "apple": [0, 0, 0, 1], "apples": [0, 0.1, 0, 1],
            "stone": [-1, -1, 0, 0.3]}
    words = list(vecs)
    return WordVectors(words, np.array([vecs[w] for w in words], dtype=np.float32))


def test_nearest_is_by_cosine_and_honours_exclusions(wv):
    assert wv.nearest(wv.vector("apple")[0], k=2)[0][0] == "apple"
    hits = wv.nearest(wv.vector("apple")[0], k=2, exclude=["apple"])
    assert hits[0][0] == "apples" and len(hits) == 2
    assert all(-1.0001 <= s <= 1.0001 for _, s in hits)
    assert wv.nearest(np.zeros(4), k=3) == []
    with pytest.raises(ValueError, match="dimension"):
        wv.nearest(np.ones(3), k=3)


@pytest.mark.parametrize("method", ["add", "mul"])
def test_analogy_excludes_its_inputs(wv, method):
    answer = wv.analogy("man", "king", "woman", method=method, k=3)
    assert answer[0][0] == "queen"
    assert not {"man", "king", "woman"} & {w for w, _ in answer}
    with pytest.raises(ValueError, match="method"):
        wv.analogy("man", "king", "woman", method="sub")


def test_most_similar_combines_positive_and_negative(wv):
    assert wv.most_similar(["king", "woman"], ["man"], k=1)[0][0] == "queen"
    with pytest.raises(KeyError):
        wv.most_similar(["unicorn"])


def test_lookup_is_case_normalized_and_reports_oov(wv):
    assert "King" in wv and wv.index("KING") == wv.index("king")
    vec, synthesized = wv.vector("Queen")
    assert synthesized is False and np.isclose(np.linalg.norm(vec), 1, atol=1e-5)
    with pytest.raises(KeyError):
        wv.vector("unicorn")  # no n-grams in this model


def test_suggest_offers_close_spellings(wv):
    assert wv.suggest("quen")[0] == "queen"
    assert "apples" in wv.suggest("aples")
    assert wv.suggest("zzzz") == []


def test_key_to_index_is_the_exact_spelling_row_map(wv):
    assert wv.key_to_index["queen"] == wv.words.index("queen") == wv.index("Queen")
    assert "Queen" not in wv.key_to_index          # exact keys; index() also normalizes
    assert len(wv.key_to_index) == len(wv)


def test_token_rows_gives_rows_for_known_tokens_and_synthesizes_the_rest():
    words = ["cat", "dog", "catnip"]
    vectors = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    ngrams = np.random.default_rng(1).normal(size=(50, 4)).astype(np.float32)
    with_subwords = WordVectors(words, vectors, ngrams=ngrams)
    rows, synthesized = with_subwords.token_rows(["dog", "catbird", "cat", "dogma"])
    assert rows == [1, 0]
    assert len(synthesized) == 2
    for token, vec in zip(["catbird", "dogma"], synthesized):
        np.testing.assert_array_equal(vec, with_subwords.vector(token)[0])
    plain = WordVectors(words, vectors)               # no n-grams: unseen tokens are skipped
    assert plain.token_rows(["catbird", "catnip", "dog"]) == ([2, 1], [])


def test_most_similar_takes_a_plain_string_as_one_word():
    from world2vec.embeddings import load_model
    words = load_model().words
    assert words.most_similar("cat", k=5) == words.most_similar(["cat"], k=5)
    assert all(len(w) > 1 for w, _ in words.most_similar("cat", k=5))
