"""Distillation with a stand-in teacher: the engine-trained student learns its texts."""

from __future__ import annotations

import numpy as np

from world2vec.embeddings.default_model.distill import (
    StaticStudent,
    frequency_weights,
    principal_axes,
    tokens_to_ids,
)


class StandInTeacher:
    """A text's vector is the unit mean of hidden token vectors, plus a pairwise effect
    (word order blind, but not a plain average of the tokens alone)."""

    def __init__(self, vocab, dim=16, seed=0):
        rng = np.random.default_rng(seed)
        self.index = {w: i for i, w in enumerate(vocab)}
        self.hidden = rng.normal(size=(len(vocab), dim))
        self.context = rng.normal(size=(dim, dim)) * 1.5

    def encode(self, texts):
        rows = []
        for t in texts:
            h = self.hidden[[self.index[w] for w in t.split()]]
            m = h.mean(axis=0)
            rows.append(m + 2 * np.tanh(m @ self.context))
        rows = np.array(rows)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    def encode_words(self, words):
        return self.encode(list(words))


def corpus(vocab, n, rng):
    return [" ".join(rng.choice(vocab, rng.integers(2, 7))) for _ in range(n)]


def mean_cosine(student, ids, targets):
    return float(np.mean((student.encode_ids(ids) * targets).sum(axis=1)))


def test_training_moves_the_student_toward_the_teacher():
    rng = np.random.default_rng(1)
    vocab = [f"w{i}" for i in range(60)]
    teacher = StandInTeacher(vocab)
    index = {w: i for i, w in enumerate(vocab)}
    train, test = corpus(vocab, 1500, rng), corpus(vocab, 200, rng)
    axes = principal_axes(np.vstack([teacher.encode_words(vocab), teacher.encode(train)]), 12)
    student = StaticStudent.from_teacher(teacher.encode_words(vocab), axes,
                                         frequency_weights(np.ones(len(vocab))))
    test_ids = tokens_to_ids(test, str.split, index)
    goal = teacher.encode(test) @ axes
    goal /= np.linalg.norm(goal, axis=1, keepdims=True)
    before = mean_cosine(student, test_ids, goal)
    report = student.fit(tokens_to_ids(train, str.split, index), teacher.encode(train) @ axes,
                         epochs=10, batch_size=64, lr=5e-2, progress=False)
    after = mean_cosine(student, test_ids, goal)
    assert report["texts"] == 1500
    assert (1 - after) < 0.75 * (1 - before), (before, after)  # error shrinks by > 25 %


def test_contrastive_pairs_bring_pairs_together():
    rng = np.random.default_rng(2)
    vocab = [f"w{i}" for i in range(40)]
    student = StaticStudent(rng.normal(size=(40, 8)))
    pairs = [([i], [i + 20]) for i in range(20)]
    cos = lambda s: float(np.mean([s.encode_ids([a])[0] @ s.encode_ids([b])[0]  # noqa: E731
                                   for a, b in pairs]))
    before = cos(student)
    seqs = [[i] for i in range(40)]
    targets = student.encode_ids(seqs)
    student.fit(seqs, targets, pairs=pairs, epochs=20, batch_size=40, lr=5e-2,
                pair_weight=5.0, progress=False)
    assert cos(student) > before + 0.3
    assert len(vocab) == 40


def test_principal_axes_keep_cosines_of_low_rank_data():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 10))
    axes = principal_axes(x, 3)
    y = x @ axes
    assert np.allclose(y @ y.T, x @ x.T, atol=1e-6 * np.abs(x @ x.T).max())


def test_frequent_tokens_weigh_less():
    w = frequency_weights(np.array([1_000_000, 1000, 1]))
    assert w[0] < w[1] < w[2] <= 1.0


def test_removing_the_common_direction_spreads_text_cosines():
    rng = np.random.default_rng(5)
    shared = rng.normal(size=8) * 3
    student = StaticStudent(rng.normal(size=(50, 8)) + shared)
    seqs = [list(rng.choice(50, 5)) for _ in range(300)]
    before = student.encode_ids(seqs)
    student.remove_common(seqs, k=1)
    after = student.encode_ids(seqs)
    off_diagonal = lambda x: (x @ x.T)[np.triu_indices(len(x), 1)]  # noqa: E731
    assert off_diagonal(after).mean() < off_diagonal(before).mean() - 0.3
    word = student.encode_ids([[7]])[0]                 # one token is still its own row
    assert np.allclose(word, student.table[7] / np.linalg.norm(student.table[7]), atol=1e-6)


def test_teacher_cache_resumes_and_refuses_other_texts(tmp_path):
    import pytest

    from world2vec.embeddings.default_model.distill_build import cached_encode

    calls = []

    def encode(texts):
        calls.append(len(texts))
        return np.ones((len(texts), 3))

    path = str(tmp_path / "texts.npy")
    assert cached_encode(encode, ["a", "b", "c"], path, chunk=2).shape == (3, 3)
    assert cached_encode(encode, ["a", "b", "c"], path, chunk=2).shape == (3, 3)
    assert calls == [2, 1]                              # the second call read the cache
    with pytest.raises(SystemExit, match="other texts"):
        cached_encode(encode, ["a", "b", "d"], path, chunk=2)
