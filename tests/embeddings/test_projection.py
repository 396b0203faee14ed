"""The 2D projection of a query among its neighbours (the web page's plot)."""

from __future__ import annotations

import numpy as np

from world2vec.embeddings.projection import pca_2d


def test_points_on_a_line_project_onto_the_first_axis_scaled_into_unit_range():
    direction = np.array([3.0, 4.0, 0.0]) / 5
    positions = np.array([0.0, 1.0, -2.0, 4.0])     # the query first
    rows = positions[:, None] * direction
    out = pca_2d(rows[0], rows[1:])
    xs = np.array([out["query"][0]] + [p[0] for p in out["points"]])
    ys = np.array([out["query"][1]] + [p[1] for p in out["points"]])
    assert np.isclose(np.abs(xs).max(), 1.0) and np.allclose(ys, 0.0, atol=1e-9)
    assert np.isclose(abs(np.corrcoef(xs, positions)[0, 1]), 1.0)
    assert np.isclose(out["explained"][0], 1.0) and np.isclose(out["explained"][1], 0.0)


def test_the_plot_keeps_relative_distances():
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((6, 2)) @ np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])
    out = pca_2d(rows[0], rows[1:])
    coords = np.array([out["query"], *out["points"]])
    before = np.linalg.norm(rows[:, None] - rows[None], axis=-1)
    after = np.linalg.norm(coords[:, None] - coords[None], axis=-1)
    assert np.allclose(after / after.max(), before / before.max(), atol=1e-9)
    assert np.isclose(sum(out["explained"]), 1.0)


def test_nothing_to_spread_gives_zeros():
    assert pca_2d(np.ones(4), np.zeros((0, 4))) == {"query": [0.0, 0.0], "points": [],
                                                    "explained": [0.0, 0.0]}
    same = pca_2d(np.ones(4), np.ones((2, 4)))
    assert same["points"] == [[0.0, 0.0], [0.0, 0.0]] and same["explained"] == [0.0, 0.0]
