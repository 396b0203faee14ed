"""Pearson and Spearman correlations with their two-sided p-values, without scipy.

Why here: ``evaluate_word_pairs`` answers in gensim's shape, which carries scipy's
``(statistic, pvalue)`` pairs, and world2vec does not depend on scipy. Both p-values
come from Student's t with n - 2 degrees of freedom, which for a correlation r reduces
to the regularized incomplete beta function ``I_{1 - r^2}((n - 2) / 2, 1 / 2)``; that
function is evaluated by its continued fraction (modified Lentz), accurate to ~1e-12.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from world2vec.embeddings.words.evaluation import rankdata

_TINY = 1e-300
_EPS = 3e-16


class Correlation(NamedTuple):
    """A coefficient and its two-sided p-value; indexes and unpacks like scipy's results."""

    statistic: float
    pvalue: float

    @property
    def correlation(self) -> float:
        """scipy's older name for ``statistic``."""
        return self.statistic


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, 10_000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            result *= c * d
        if abs(c * d - 1.0) < _EPS:
            break
    return result


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def correlation_pvalue(r: float, n: int) -> float:
    """Two-sided p-value of a correlation ``r`` over ``n`` pairs (t test, n - 2 dof)."""
    if math.isnan(r):
        return float("nan")
    if n <= 2:
        return 1.0
    return incomplete_beta((n - 2) / 2.0, 0.5, max(0.0, 1.0 - r * r))


def pearson(x: np.ndarray, y: np.ndarray) -> Correlation:
    """Pearson's r and its p-value (nan when either side is constant)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError("pearson needs two 1-D sequences of the same length >= 2")
    dx, dy = x - x.mean(), y - y.mean()
    denom = math.sqrt(float(dx @ dx) * float(dy @ dy))
    r = float(dx @ dy) / denom if denom > 0 else float("nan")
    r = max(-1.0, min(1.0, r)) if not math.isnan(r) else r
    return Correlation(r, correlation_pvalue(r, len(x)))


def spearman(x: np.ndarray, y: np.ndarray) -> Correlation:
    """Spearman's rho (Pearson over tie-averaged ranks) and its p-value."""
    return pearson(rankdata(x), rankdata(y))
