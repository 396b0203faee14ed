"""The correlations evaluate_word_pairs reports, and their p-values, without scipy."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.embeddings.keyed.stats import correlation_pvalue, incomplete_beta, pearson, spearman


@pytest.mark.parametrize("a, b, x, expected", [
    (1.0, 1.0, 0.3, 0.3),                  # I_x(1, 1) = x
    (3.0, 1.0, 0.5, 0.125),                # I_x(a, 1) = x^a
    (4.5, 4.5, 0.5, 0.5),                  # symmetric about 1/2
    (1.0, 2.0, 0.25, 1 - 0.75 ** 2),       # I_x(1, b) = 1 - (1 - x)^b
    (2.0, 3.0, 0.0, 0.0), (2.0, 3.0, 1.0, 1.0),
])
def test_incomplete_beta_known_values(a, b, x, expected):
    assert incomplete_beta(a, b, x) == pytest.approx(expected, abs=1e-12)


def test_pvalue_of_a_correlation():
    # r = 0.5 over 10 pairs: t = 0.5 * sqrt(8 / 0.75) = 1.633 with 8 dof, two-sided p = 0.1411
    assert correlation_pvalue(0.5, 10) == pytest.approx(0.14111, abs=1e-4)
    assert correlation_pvalue(0.0, 10) == pytest.approx(1.0)
    assert correlation_pvalue(1.0, 10) == 0.0
    assert correlation_pvalue(0.3, 2) == 1.0


def test_spearman_uses_tie_averaged_ranks():
    x = np.array([1, 2, 2, 3, 5.0])
    y = np.array([2, 1, 4, 3, 5.0])
    rx = np.array([1, 2.5, 2.5, 4, 5])
    ry = np.array([2, 1, 4, 3, 5])
    assert spearman(x, y).statistic == pytest.approx(np.corrcoef(rx, ry)[0, 1])
    assert np.isnan(pearson(np.ones(4), np.arange(4.0)).statistic)


def test_agrees_with_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    for n in (3, 8, 40, 353):
        x = rng.normal(size=n)
        y = 0.4 * x + rng.normal(size=n)
        for ours, theirs in [(pearson(x, y), stats.pearsonr(x, y)),
                             (spearman(x, y), stats.spearmanr(x, y))]:
            assert ours.statistic == pytest.approx(theirs[0], abs=1e-12)
            assert ours.pvalue == pytest.approx(theirs[1], rel=1e-7, abs=1e-300)
