"""Model directories appear whole or not at all, and a replaced one is never missing."""

from __future__ import annotations

import os

import pytest

from world2vec.embeddings.staging import replace_directory, staged_directory


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


def write_model(directory, text: str) -> None:
    with open(os.path.join(directory, "manifest.json"), "w") as fh:
        fh.write(text)


def read_model(directory) -> str:
    with open(os.path.join(directory, "manifest.json")) as fh:
        return fh.read()


def test_a_replacement_keeps_the_old_directory_until_the_new_one_is_complete(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    write_model(target, "old")
    with replace_directory(target) as staging:
        write_model(staging, "new")
        assert read_model(target) == "old"   # readers still find the complete old model
    assert read_model(target) == "new"
    assert os.stat(target).st_mode & 0o755 == 0o755
    assert sorted(os.listdir(tmp_path)) == ["model"]   # no staging or old copy left beside it


def test_a_failed_replacement_leaves_the_old_directory_as_it_was(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    write_model(target, "old")
    with pytest.raises(RuntimeError), replace_directory(target) as staging:
        write_model(staging, "half")
        raise RuntimeError("build failed")
    assert read_model(target) == "old"
    assert sorted(os.listdir(tmp_path)) == ["model"]


def test_if_the_new_directory_cannot_be_renamed_in_the_old_one_is_put_back(tmp_path, monkeypatch):
    target = tmp_path / "model"
    target.mkdir()
    write_model(target, "old")
    real_rename = os.rename

    def rename(src, dst):
        if os.path.basename(src).startswith(".stage-"):
            raise OSError("simulated failure")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="simulated"), replace_directory(target) as staging:
        write_model(staging, "new")
    assert read_model(target) == "old"
    assert sorted(os.listdir(tmp_path)) == ["model"]


def test_a_replacement_creates_a_missing_directory_and_refuses_a_file(tmp_path):
    with replace_directory(tmp_path / "model") as staging:
        write_model(staging, "first")
    assert read_model(tmp_path / "model") == "first"
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError), replace_directory(tmp_path / "file"):
        pytest.fail("the block must not run")
    assert (tmp_path / "file").read_text() == "x"
    assert sorted(os.listdir(tmp_path)) == ["file", "model"]
