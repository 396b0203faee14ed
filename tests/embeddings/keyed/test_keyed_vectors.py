"""model.wv: gensim's KeyedVectors names and semantics, checked against answers worked out
by hand on small spaces (gensim itself is not needed here; test_keyed_gensim.py compares
with it when it is installed)."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings.keyed import KeyedVectors
from world2vec.embeddings.words.vectors import WordVectors

VECS = {"man": [1, 0, 0, 0.1], "woman": [0, 1, 0, 0.1], "king": [1, 0, 1, 0.1],
        "queen": [0, 1, 1, 0.1], "apple": [0, 0, 0, 1], "apples": [0, 0.1, 0, 1],
        "stone": [-1, -1, 0, 0.3], "c": [0, 0, 0, 1], "a": [0, 0.1, 0, 1], "t": [0, 0, 0.1, 1],
        "cat": [3, 0.2, 0, 0]}


def unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


@pytest.fixture
def wv() -> KeyedVectors:
    words = list(VECS)
    return KeyedVectors(WordVectors(words, np.array([VECS[w] for w in words], np.float32)))


def cos(a, b):
    return float(unit(VECS[a]) @ unit(VECS[b]))


def test_lookup_like_a_dict_of_vectors(wv):
    assert wv["cat"].shape == (4,) and np.allclose(wv["cat"], VECS["cat"])  # raw, not unit
    both = wv[["cat", "man"]]
    assert both.shape == (2, 4) and np.allclose(both[1], VECS["man"])
    assert np.allclose(wv.get_vector("cat", norm=True), unit(VECS["cat"]))
    assert np.allclose(wv[0], VECS["man"])  # an int key is a row, as in gensim
    assert len(wv) == len(VECS) and wv.vector_size == 4 and wv.vectors.shape == (len(VECS), 4)
    assert wv.index_to_key == list(VECS) and wv.key_to_index["king"] == 2
    assert "king" in wv and "kingdom" not in wv and 3 in wv and 99 not in wv
    assert wv.get_index("kingdom", default=-1) == -1
    with pytest.raises(KeyError, match="'kingdom' not present"):
        wv["kingdom"]
    with pytest.raises(ValueError):
        wv["cat"][0] = 1.0  # read-only: writing would desynchronise the unit rows


def test_most_similar_takes_one_word_not_its_letters(wv):
    # "cat" points along the first axis, its letters c/a/t along the last: iterating over
    # the letters would answer apple/apples.
    answer = wv.most_similar("cat", topn=3)
    assert answer[0][0] == "man" and "cat" not in dict(answer)
    assert answer[0][1] == pytest.approx(cos("cat", "man"), abs=1e-6)
    assert [w for w, _ in answer] == sorted(dict(answer), key=lambda w: -cos("cat", w))
    assert wv.most_similar("cat", topn=3) == wv.most_similar(positive=["cat"], topn=3)
    assert wv.most_similar("cat", topn=0) == []


def test_most_similar_weighs_positive_and_negative_as_gensim_does(wv):
    best = wv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)
    assert best[0][0] == "queen"
    expected = unit(unit(VECS["king"]) + unit(VECS["woman"]) - unit(VECS["man"]))
    assert best[0][1] == pytest.approx(float(expected @ unit(VECS["queen"])), abs=1e-6)
    # (key, weight) pairs; a weight given in the negative list is used as given
    weighted = wv.most_similar(positive=[("king", 2.0), "woman"], negative=[("man", -0.5)], topn=1)
    mean = unit(2 * unit(VECS["king"]) + unit(VECS["woman"]) - 0.5 * unit(VECS["man"]))
    assert weighted[0][1] == pytest.approx(max(float(mean @ unit(VECS[w])) for w in VECS
                                               if w not in ("king", "woman", "man")), abs=1e-6)
    # a vector is used as it is and excludes nothing
    by_vector = wv.most_similar(positive=[np.array(VECS["queen"], np.float32)], topn=1)
    assert by_vector[0] == ("queen", pytest.approx(1.0, abs=1e-6))
    assert wv.similar_by_vector(np.array(VECS["queen"], np.float32), topn=1)[0][0] == "queen"


def test_most_similar_options(wv):
    every = wv.most_similar("king", topn=None)
    assert isinstance(every, np.ndarray) and every.shape == (len(VECS),)
    assert every[wv.key_to_index["king"]] == pytest.approx(1.0)
    assert {w for w, _ in wv.most_similar("man", topn=10, restrict_vocab=4)} == {"woman", "king", "queen"}

    class Indexer:
        def most_similar(self, vector, topn):
            return [("from-indexer", float(np.linalg.norm(vector)))] * topn

    assert wv.most_similar("cat", topn=2, indexer=Indexer())[0] == ("from-indexer", pytest.approx(1.0))
    with pytest.raises(KeyError, match="not present"):
        wv.most_similar("kingdom")


def test_most_similar_cosmul_is_3cosmul(wv):
    best = wv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=2)
    assert best[0][0] == "queen"
    shifted = {w: (1 + np.array([cos(w, x) for x in ("king", "woman", "man")])) / 2 for w in VECS}
    expected = shifted["queen"][0] * shifted["queen"][1] / (shifted["queen"][2] + 1e-6)
    assert best[0][1] == pytest.approx(expected, rel=1e-5)
    assert wv.most_similar_cosmul("king", "man", topn=1)[0][0] == wv.most_similar_cosmul(
        positive=["king"], negative=["man"], topn=1)[0][0]
    with pytest.raises(ValueError, match="no input"):
        wv.most_similar_cosmul(negative=["man"])


def test_pairwise_measures(wv):
    assert wv.similarity("king", "queen") == pytest.approx(cos("king", "queen"), abs=1e-6)
    assert wv.distance("king", "queen") == pytest.approx(1 - cos("king", "queen"), abs=1e-6)
    mean1 = np.mean([VECS["king"], VECS["man"]], axis=0)   # n_similarity: raw vectors
    mean2 = np.mean([VECS["queen"], VECS["woman"]], axis=0)
    assert wv.n_similarity(["king", "man"], ["queen", "woman"]) == pytest.approx(
        float(unit(mean1) @ unit(mean2)), abs=1e-6)
    with pytest.raises(ZeroDivisionError):
        wv.n_similarity([], ["king"])
    assert np.allclose(wv.distances("king", ["queen", "man"]),
                       [1 - cos("king", "queen"), 1 - cos("king", "man")], atol=1e-6)
    assert wv.distances("king").shape == (len(VECS),)
    ranked = sorted((w for w in VECS if w != "king"), key=lambda w: -cos("king", w))
    assert wv.rank("king", ranked[0]) == 1 and wv.rank("king", ranked[2]) == 3
    assert wv.closer_than("king", ranked[2]) == [w for w in VECS if w in ranked[:2]]
    assert wv.most_similar_to_given("king", ["apple", "queen", "stone"]) == "queen"


def test_doesnt_match_and_centrality(wv):
    assert wv.doesnt_match(["man", "king", "apple"]) == "apple"
    ranked = wv.rank_by_centrality(["man", "king", "apple"])
    mean = unit(sum(unit(VECS[w]) for w in ("man", "king", "apple")))
    assert ranked == sorted(((pytest.approx(float(unit(VECS[w]) @ mean), abs=1e-6), w)
                             for w in ("man", "king", "apple")), key=lambda p: -p[0].expected)
    assert wv.doesnt_match(["man", "king", "apple", "unknownword"]) == "apple"  # skipped
    with pytest.raises(ValueError, match="empty"):
        wv.doesnt_match(["unknownword"])


def test_mean_vector(wv):
    mean = wv.get_mean_vector(["king", "man"], post_normalize=True)
    assert np.allclose(mean, unit(unit(VECS["king"]) + unit(VECS["man"])), atol=1e-6)
    assert np.allclose(wv.get_mean_vector(["king", "nope"]), unit(VECS["king"]), atol=1e-6)
    with pytest.raises(KeyError):
        wv.get_mean_vector(["king", "nope"], ignore_missing=False)


def test_unseen_words_are_synthesized_but_not_in_the_vocabulary():
    rng = np.random.default_rng(0)
    words = ["the", "cat", "dog", "kitty"]
    wv = KeyedVectors(WordVectors(words, rng.normal(size=(4, 8)).astype(np.float32),
                                  ngrams=rng.normal(size=(64, 8)).astype(np.float32)))
    assert "kittycat" not in wv and "kittycat" not in wv.key_to_index
    vec = wv["kittycat"]
    assert vec.shape == (8,) and np.linalg.norm(vec) == pytest.approx(1.0, abs=1e-5)
    assert wv.most_similar("kittycat", topn=4)[0][1] == pytest.approx(
        max(float(unit(vec) @ unit(wv[w])) for w in words), abs=1e-5)  # no vocabulary word excluded
    assert -1 <= wv.similarity("kittycat", "cat") <= 1
    with pytest.raises(KeyError):
        wv.get_index("kittycat")


def test_save_and_load_word2vec_format_round_trip(wv, tmp_path):
    for name, binary in [("v.txt", False), ("v.bin", True), ("v.txt.gz", False)]:
        wv.save_word2vec_format(tmp_path / name, fvocab=tmp_path / "vocab.txt", binary=binary)
        back = KeyedVectors.load_word2vec_format(tmp_path / name, fvocab=tmp_path / "vocab.txt",
                                                 binary=binary)
        assert back.index_to_key == wv.index_to_key
        assert np.array_equal(back.vectors, wv.vectors)  # 9 digits: float32 exactly
        assert back.get_vecattr("man", "count") == wv.get_vecattr("man", "count")
    assert len(KeyedVectors.load_word2vec_format(tmp_path / "v.bin", binary=True, limit=3)) == 3
    first = (tmp_path / "vocab.txt").read_text().splitlines()[0]
    assert first == f"man {len(VECS)}"  # most frequent first, "word count"


def test_evaluate_word_analogies_in_gensims_shape(wv, tmp_path):
    path = tmp_path / "questions.txt"
    path.write_text(": royals\nman king woman queen\nMAN KING WOMAN QUEEN\nman king woman nope\n"
                    "king\n: fruit\nman woman king queen\napple apples man woman\n")
    score, sections = wv.evaluate_word_analogies(path)
    assert [s["section"] for s in sections] == ["royals", "fruit", "Total accuracy"]
    assert sections[0]["correct"] == [("MAN", "KING", "WOMAN", "QUEEN")] * 2  # upper-cased
    assert sections[0]["incorrect"] == []          # the OOV question is skipped
    assert sections[1]["correct"] == [("MAN", "WOMAN", "KING", "QUEEN")]
    assert len(sections[1]["incorrect"]) == 1
    assert score == pytest.approx(3 / 4)
    _, with_dummy = wv.evaluate_word_analogies(path, dummy4unknown=True)
    assert ("MAN", "KING", "WOMAN", "NOPE") in with_dummy[0]["incorrect"]
    _, strict = wv.evaluate_word_analogies(path, case_insensitive=False)
    assert strict[0]["correct"] == [("man", "king", "woman", "queen")]
    (tmp_path / "bad.txt").write_text("man king woman queen\n")
    with pytest.raises(ValueError, match="Missing section header"):
        wv.evaluate_word_analogies(tmp_path / "bad.txt")


def test_evaluate_word_pairs_in_gensims_shape(wv, tmp_path):
    rows = [("king", "queen", 8.0), ("man", "woman", 7.0), ("king", "apple", 1.0),
            ("apple", "apples", 9.5), ("stone", "queen", 0.5), ("man", "nope", 3.0)]
    path = tmp_path / "pairs.tsv"
    path.write_text("# comment\nWord 1\tWord 2\tHuman\n" +
                    "".join(f"{a}\t{b}\t{s}\n" for a, b, s in rows))
    pearson, spearman, oov = wv.evaluate_word_pairs(path)
    gold = np.array([s for _, _, s in rows[:5]])
    model = np.array([cos(a, b) for a, b, _ in rows[:5]])
    assert pearson[0] == pytest.approx(np.corrcoef(gold, model)[0, 1], abs=1e-6)
    ranks = lambda x: np.argsort(np.argsort(x))  # noqa: E731 (no ties here)
    assert spearman.statistic == pytest.approx(np.corrcoef(ranks(gold), ranks(model))[0, 1], abs=1e-6)
    assert 0 < pearson.pvalue < 1 and 0 < spearman[1] < 1
    assert oov == pytest.approx(100 / 6)
    with pytest.raises(ValueError, match="No valid similarity"):
        (tmp_path / "none.tsv").write_text("nope\tnada\t1\n")
        wv.evaluate_word_pairs(tmp_path / "none.tsv")
