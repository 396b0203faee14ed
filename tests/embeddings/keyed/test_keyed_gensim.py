"""model.wv against gensim's own KeyedVectors on the same vectors: the bundled model
exported as word2vec text, read by gensim and by us. Skipped where gensim is not
installed (it is never a dependency of world2vec)."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings import load_model
from world2vec.embeddings.keyed import KeyedVectors
from world2vec.embeddings.words.formats import write_word2vec, write_word2vec_binary

gensim_models = pytest.importorskip("gensim.models")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # gensim's own init_sims

SCORE_TOL = 2e-6  # float32 sums in another order


TEXT_LIMIT = 20_000  # gensim parses text in Python: the 20k most frequent words keep it quick


@pytest.fixture(scope="module", params=["text-file", "bundled-model"])
def pair(request, tmp_path_factory):
    """(ours, gensim's) on the same vectors: both reading the bundled model exported as
    word2vec text (its 20k most frequent words), and the bundled model's own ``model.wv`` beside
    gensim reading the whole model exported as binary (the exports write float32 exactly,
    so gensim holds the vectors the model holds)."""
    model = load_model()
    folder = tmp_path_factory.mktemp("gensim")
    if request.param == "text-file":
        path = folder / "default.txt"
        write_word2vec(model.words.words[:TEXT_LIMIT], model.words.vectors[:TEXT_LIMIT], path,
                       binary=False)
        return (KeyedVectors.load_word2vec_format(path),
                gensim_models.KeyedVectors.load_word2vec_format(str(path)))
    path = folder / "default.bin"
    write_word2vec_binary(model.words, path)
    return model.wv, gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=True)


@pytest.fixture
def ours(pair):
    return pair[0]


@pytest.fixture
def theirs(pair):
    return pair[1]


def same_ranking(a, b):
    assert [w for w, _ in a] == [w for w, _ in b]
    assert np.allclose([s for _, s in a], [s for _, s in b], atol=SCORE_TOL)


def test_the_vectors_are_the_same(ours, theirs):
    assert ours.index_to_key == theirs.index_to_key
    assert np.array_equal(np.asarray(ours.vectors), theirs.vectors)
    assert np.array_equal(ours["cat"], theirs["cat"])
    assert ours[["cat", "dog"]].shape == (2, theirs.vector_size)


@pytest.mark.parametrize("query", [
    {"positive": "cat", "topn": 10},
    {"positive": ["king", "woman"], "negative": ["man"], "topn": 10},
    {"positive": [("king", 0.5), "queen"], "negative": "man", "topn": 5},
    {"positive": ["paris", "italy"], "negative": ["france"], "topn": 10, "restrict_vocab": 20000},
])
def test_most_similar(ours, theirs, query):
    same_ranking(ours.most_similar(**query), theirs.most_similar(**query))


def test_most_similar_cosmul(ours, theirs):
    query = {"positive": ["king", "woman"], "negative": ["man"], "topn": 10}
    same_ranking(ours.most_similar_cosmul(**query), theirs.most_similar_cosmul(**query))


def test_pairwise_and_odd_one_out(ours, theirs):
    for a, b in [("cat", "dog"), ("cat", "car"), ("king", "queen")]:
        assert ours.similarity(a, b) == pytest.approx(float(theirs.similarity(a, b)), abs=SCORE_TOL)
        assert ours.distance(a, b) == pytest.approx(float(theirs.distance(a, b)), abs=SCORE_TOL)
    for words in (["cat", "dog", "car"], ["breakfast", "cereal", "dinner", "lunch"]):
        assert ours.doesnt_match(words) == theirs.doesnt_match(words)
    assert ours.n_similarity(["cat", "dog"], ["car", "bus"]) == pytest.approx(
        float(theirs.n_similarity(["cat", "dog"], ["car", "bus"])), abs=SCORE_TOL)
    assert ours.rank("cat", "dog") == theirs.rank("cat", "dog")
    assert np.allclose(ours.distances("cat", ["dog", "car"]), theirs.distances("cat", ["dog", "car"]),
                       atol=SCORE_TOL)


def test_evaluations(ours, theirs, tmp_path):
    words = theirs.index_to_key
    rng = np.random.default_rng(7)
    lines = [": real", "man king woman queen", "Paris France Rome Italy", "boy girl brother sister",
             "big bigger small smaller", "good better bad worse", "man king woman notaword",
             ": random"]
    for _ in range(60):
        lines.append(" ".join(words[i] for i in rng.integers(0, len(words), size=4)))
    (tmp_path / "q.txt").write_text("\n".join(lines) + "\n")
    for options in ({}, {"restrict_vocab": 5000}, {"case_insensitive": False, "dummy4unknown": True}):
        score, sections = ours.evaluate_word_analogies(tmp_path / "q.txt", **options)
        their_score, their_sections = theirs.evaluate_word_analogies(str(tmp_path / "q.txt"), **options)
        assert score == their_score and sections == their_sections

    pairs = [f"{words[a]}\t{words[b]}\t{rng.uniform(0, 10):.2f}"
             for a, b in rng.integers(0, len(words), size=(80, 2))] + ["cat\tnotaword\t5"]
    (tmp_path / "pairs.tsv").write_text("\n".join(pairs) + "\n")
    pearson, spearman, oov = ours.evaluate_word_pairs(tmp_path / "pairs.tsv")
    their_pearson, their_spearman, their_oov = theirs.evaluate_word_pairs(str(tmp_path / "pairs.tsv"))
    assert oov == their_oov
    for mine, other in [(pearson, their_pearson), (spearman, their_spearman)]:
        assert mine[0] == pytest.approx(other[0], abs=1e-6)
        assert mine[1] == pytest.approx(other[1], rel=1e-4)
