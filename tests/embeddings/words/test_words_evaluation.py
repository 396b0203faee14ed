"""Analogy and similarity evaluation on hand-made vectors and files."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings.words.evaluation import (
    EvaluationDataError,
    evaluate_analogies,
    evaluate_similarity,
    rankdata,
    spearman,
)
from world2vec.embeddings.words.vectors import WordVectors


def grid_model():
    """Words at exact positions: royal/common x male/female, plus fillers."""
    vecs = {"man": [1, 0, 0, 0.1], "woman": [0, 1, 0, 0.1], "king": [1, 0, 1, 0.1],
            "queen": [0, 1, 1, 0.1], "apple": [0, 0, 0, 1], "stone": [-1, -1, 0, 0.3]}
    words = list(vecs)
    return WordVectors(words, np.array([vecs[w] for w in words], dtype=np.float32),
                       counts=np.arange(len(words), 0, -1))


def test_spearman_matches_known_values():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # hand-computed: ranks with a tie -> rho = 0.8 (textbook example)
    assert spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8)
    assert list(rankdata([10, 20, 20, 30])) == [1, 2.5, 2.5, 4]


def test_analogies_are_answered_by_both_methods_with_coverage(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(": royalty\nman king woman queen\nMAN WOMAN KING QUEEN\n"
                    ": unknown\nman king woman zebra\n", encoding="utf-8")
    res = evaluate_analogies(grid_model(), path)
    assert res.total == 3 and res.answered == 2
    assert res.correct_add == 2 and res.correct_mul == 2
    assert res.coverage == pytest.approx(2 / 3)
    assert "3CosAdd 100.0%" in res.summary() and "coverage 66.7%" in res.summary()


def test_restricting_the_vocabulary_lowers_coverage(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("man king woman queen\n", encoding="utf-8")
    res = evaluate_analogies(grid_model(), path, restrict=3)  # queen is 4th most frequent
    assert res.answered == 0 and res.coverage == 0


def test_similarity_reports_spearman_and_oov(tmp_path):
    path = tmp_path / "ws.tsv"
    path.write_text("# comment\nWord 1\tWord 2\tHuman (mean)\nking\tqueen\t8\n"
                    "man\tking\t9\nking\tapple\t1\nzebra\tking\t5\n", encoding="utf-8")
    res = evaluate_similarity(grid_model(), path)
    assert res.pairs == 4 and res.used == 3 and res.oov == pytest.approx(0.25)
    assert res.spearman == pytest.approx(1.0)


def test_bad_evaluation_files_name_the_line(tmp_path):
    (tmp_path / "q.txt").write_text("a b c\n", encoding="utf-8")
    with pytest.raises(EvaluationDataError, match="q.txt:1"):
        evaluate_analogies(grid_model(), tmp_path / "q.txt")
    (tmp_path / "s.tsv").write_text("a\tb\t1\nc\td\tlots\n", encoding="utf-8")
    with pytest.raises(EvaluationDataError, match="s.tsv:2"):
        evaluate_similarity(grid_model(), tmp_path / "s.tsv")
