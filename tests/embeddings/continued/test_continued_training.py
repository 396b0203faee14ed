"""Continued training on the fixture model: a new word lands among the words it is used
like, known words keep their neighbourhoods, the result is a complete model directory in
the same space, the base is never touched, and an interrupted run resumes exactly."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest
from continued_texts import fixture_text

from world2vec.embeddings import load_model
from world2vec.embeddings.continued import CorpusError, continue_training, neighbour_overlap
from world2vec.embeddings.continued import task as task_module
from world2vec.engine.events import read_events

FAST = {"min_count": 3, "threads": 1, "progress": False, "seed": 2}


def _digest(folder: str) -> dict[str, str]:
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, folder)] = hashlib.sha256(fh.read()).hexdigest()
    return out


@pytest.fixture(scope="module")
def continued(base_dir, tmp_path_factory):
    before = _digest(base_dir)
    events = tmp_path_factory.mktemp("events") / "events.jsonl"
    model = continue_training(base_dir, fixture_text(), events=events, name="fixture-2", **FAST)
    out = model.save(str(tmp_path_factory.mktemp("models") / "fixture-2"))
    assert _digest(base_dir) == before    # the base model is only read
    return out


def test_a_new_word_lands_among_the_words_it_is_used_like(base_dir, continued):
    base, model = load_model(base_dir), load_model(continued)
    assert "blicket" not in base.words and "blicket" in model.words
    near = [w for w, _ in model.words.most_similar(["blicket"], k=5)]
    assert {"cat", "kitten"} <= set(near)
    overlap = neighbour_overlap(base.words, model.words, ["dog", "cat", "king", "paris"])
    assert all(share >= 0.5 for share in overlap["per_word"].values()), overlap
    assert set(model.words.words[len(base.words):]) == {"blicket", "animal"}  # the text's new words
    assert model.words.settings["new_words"] == 2
    assert model.words.settings["neighbour_overlap"]["words"] == len(base.words)


def test_the_new_directory_is_a_complete_model_in_the_same_space(base_dir, continued):
    base, model = load_model(base_dir), load_model(continued)
    assert model.name == "fixture-2" and model.dim == base.dim
    assert model.words.words[:len(base.words)] == base.words.words   # old rows keep their index
    assert sorted(model.sentence_encoders) == sorted(base.sentence_encoders)
    assert sorted(model.relations) == sorted(base.relations)
    assert model.words.ngrams is not None and model.words.ngrams.shape == base.words.ngrams.shape
    texts = ["a small cat in the sun", "the blicket is in the snow"]
    new, old = model.encode_texts(texts), base.encode_texts(texts[:1])
    assert new.shape == (2, base.dim)
    assert float(new[0] @ old[0]) > 0.9            # a known text barely moves
    assert model.encode_objects([{"features": ["blicket", "small"]}]).shape == (1, base.dim)
    manifest = json.load(open(os.path.join(continued, "manifest.json")))
    assert manifest["training"]["continued_from"]["name"] == base.name
    tags = {(e["type"], e["tag"]) for e in read_events(os.path.join(continued, "events.jsonl"))}
    assert {("scalar", "loss"), ("scalar", "lr"), ("histogram", "weights/syn0"),
            ("histogram", "gradients/syn0")} <= tags


def test_known_rate_zero_keeps_every_known_vector(base_dir):
    base = load_model(base_dir)
    model = continue_training(base, fixture_text(n=100), known_rate=0.0, epochs=2, **FAST)
    n = len(base.words)
    assert np.array_equal(np.asarray(model.words.vectors[:n]), np.asarray(base.words.vectors))


def test_an_interrupted_run_resumes_to_the_same_vectors(base_dir, tmp_path, monkeypatch):
    settings = {**FAST, "epochs": 3, "batch_words": 300}
    text = fixture_text(n=300)
    straight = continue_training(base_dir, text, **settings)
    real = task_module.ContinuedTask.train_batch
    calls = {"n": 0}

    def crash_midway(self, *args):
        calls["n"] += 1
        if calls["n"] == 7:
            raise KeyboardInterrupt
        return real(self, *args)

    monkeypatch.setattr(task_module.ContinuedTask, "train_batch", crash_midway)
    checkpoints = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        continue_training(base_dir, text, checkpoint_dir=checkpoints, checkpoint_every=2,
                          **settings)
    monkeypatch.setattr(task_module.ContinuedTask, "train_batch", real)
    resumed = continue_training(base_dir, text, checkpoint_dir=checkpoints, checkpoint_every=2,
                                **settings)
    assert np.array_equal(np.asarray(straight.words.vectors), np.asarray(resumed.words.vectors))


def test_bad_settings_and_corpora_are_refused(base_dir):
    with pytest.raises(ValueError, match="known_rate"):
        continue_training(base_dir, ["a cat"], known_rate=1.5, **FAST)
    with pytest.raises(ValueError, match="mode"):
        continue_training(base_dir, ["a cat"], mode="glove", **FAST)
    with pytest.raises(CorpusError, match="not found"):
        continue_training(base_dir, "/no/such/corpus.txt", **FAST)
    with pytest.raises(CorpusError, match="empty"):
        continue_training(base_dir, ["", "  "], **FAST)
