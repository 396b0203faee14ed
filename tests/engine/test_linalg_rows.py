"""unit_rows (engine/linalg.py): the one numpy row normalizer every layer uses."""

import numpy as np
import pytest

from world2vec.engine import unit_rows


def test_rows_get_unit_length_and_zero_rows_stay_zero():
    matrix = np.array([[3.0, 4.0], [0.0, 0.0], [-1e-30, 0.0]])
    out = unit_rows(matrix)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0], [0.6, 0.8], rtol=1e-6)
    assert np.all(np.isfinite(out)) and not out[1].any()
    np.testing.assert_allclose(np.linalg.norm(unit_rows(np.random.default_rng(0).normal(
        size=(7, 5))), axis=1), 1.0, rtol=1e-6)


def test_blocks_do_not_change_the_result_and_memmaps_are_read_in_place(tmp_path):
    matrix = np.random.default_rng(1).normal(size=(101, 8)).astype(np.float32)
    np.save(tmp_path / "m.npy", matrix)
    on_disk = np.load(tmp_path / "m.npy", mmap_mode="r")
    whole = unit_rows(matrix, block=None)
    np.testing.assert_array_equal(unit_rows(on_disk, block=10), whole)
    np.testing.assert_array_equal(unit_rows(matrix, block=1), whole)


def test_precision_follows_the_wider_of_input_and_request():
    half = np.random.default_rng(2).normal(size=(4, 6)).astype(np.float16)
    np.testing.assert_array_equal(unit_rows(half), unit_rows(half.astype(np.float32)))
    wide = unit_rows(half, dtype=np.float64)
    assert wide.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(wide, axis=1), 1.0, rtol=1e-12)
    assert unit_rows([[1, 1]]).dtype == np.float32       # lists and integers are fine


def test_only_matrices():
    with pytest.raises(ValueError, match="2-D"):
        unit_rows(np.ones(3))
