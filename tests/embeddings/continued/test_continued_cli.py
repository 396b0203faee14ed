"""``world2vec train --init``: the acceptance run on the bundled model, and its errors."""

from __future__ import annotations

import os

import pytest
from continued_texts import feline_text

from world2vec import cli
from world2vec.embeddings import load_model
from world2vec.embeddings.continued import neighbour_overlap
from world2vec.paths import DEFAULT_MODEL_DIR

pytestmark = pytest.mark.skipif(not os.path.isfile(os.path.join(DEFAULT_MODEL_DIR, "manifest.json")),
                                reason="the bundled default model is not built in this checkout")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "new.txt"
    path.write_text("\n".join(feline_text()) + "\n", encoding="utf-8")
    return path


def test_train_init_learns_a_new_word_and_keeps_dogs_neighbours(corpus, tmp_path, capsys):
    out = tmp_path / "continued"
    assert cli.main(["train", "--init", "default", "--corpus", str(corpus), "--out", str(out),
                     "--min-count", "3", "--threads", "1", "--quiet",
                     "--checkpoint-dir", str(tmp_path / "ckpt")]) == 0
    summary = capsys.readouterr().out
    assert "new words" in summary and "neighbours" in summary
    base, model = load_model(None), load_model(str(out))
    near = [w for w, _ in model.words.most_similar(["blicket"], k=10)]
    assert {"cat", "kitten"} <= set(near), near
    dog = neighbour_overlap(base.words, model.words, ["dog"])["per_word"]["dog"]
    assert dog >= 0.5
    assert model.default_sentence == base.default_sentence and model.relations
    assert any(name.startswith("checkpoint-") for name in os.listdir(tmp_path / "ckpt"))


def test_train_init_errors_are_one_line(corpus, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "file").write_text("x")
    assert cli.main(["train", "--init", "default", "--corpus", str(corpus),
                     "--out", str(taken), "--quiet"]) == 2
    assert "immutable" in capsys.readouterr().err
    assert cli.main(["train", "--init", str(tmp_path / "nothing"), "--corpus", str(corpus),
                     "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "not a model directory" in capsys.readouterr().err
    assert cli.main(["train", "--init", "default", "--corpus", str(corpus),
                     "--out", str(tmp_path / "o2"), "--known-rate", "2", "--quiet"]) == 2
    assert "--known-rate" in capsys.readouterr().err
