"""Model directories appear whole or not at all."""

from __future__ import annotations

import os

import pytest

from world2vec.embeddings.staging import staged_directory


def test_a_failed_save_leaves_nothing_behind(tmp_path):
    target = tmp_path / "model"
    with pytest.raises(RuntimeError), staged_directory(target) as staging:
        (open(os.path.join(staging, "vectors.npy"), "wb")).close()
        raise RuntimeError("disk full")
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_a_successful_save_appears_complete_and_is_never_overwritten(tmp_path):
    target = tmp_path / "model"
    with staged_directory(target) as staging, open(os.path.join(staging, "manifest.json"), "w") as fh:
        fh.write("{}")
    assert sorted(os.listdir(target)) == ["manifest.json"]
    assert os.stat(target).st_mode & 0o755 == 0o755
    with pytest.raises(FileExistsError, match="immutable"), staged_directory(target):
        pass
    assert sorted(os.listdir(tmp_path)) == ["model"]
