"""TensorTask (engine/tasks.py): Tensor models trained through the Trainer, exact resume
with the optimizer's state, the learning-rate rule, shuffled example batches."""

import shutil

import numpy as np
import pytest

from world2vec.engine import (
    SGD,
    Adam,
    CosineDecay,
    LinearDecay,
    Minibatches,
    Tensor,
    TensorTask,
    Trainer,
    minibatches,
    read_events,
    scalars,
    softmax_cross_entropy,
)


def _classifier_task(seed=0):
    """Two Gaussian blobs, a linear softmax classifier trained on shuffled mini-batches."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(-1.5, 1.0, size=(60, 2)), rng.normal(1.5, 1.0, size=(60, 2))])
    y = np.array([0] * 60 + [1] * 60)
    W = Tensor(np.zeros((2, 2)), requires_grad=True)
    b = Tensor(np.zeros(2), requires_grad=True)
    opt = Adam({"W": W, "b": b}, lr=0.1)

    def loss_fn(epoch, index, rng):
        rows = minibatches(len(X), 20, epoch, seed=5)[index]
        noise = rng.normal(scale=0.01, size=(len(rows), 2))   # uses the trainer's seed
        return softmax_cross_entropy((X[rows] + noise) @ W + b, y[rows])

    task = TensorTask(opt, loss_fn, num_batches=6, work=20)
    return task, (X, y, W, b)


def test_tensor_model_trains_under_the_trainer_with_events(tmp_path):
    task, (X, y, W, b) = _classifier_task()
    result = Trainer(task, epochs=5, schedule=CosineDecay(0.1, 0.0, warmup=0.1),
                     events=tmp_path / "events.jsonl", histogram_every=10, progress=False).fit()
    assert result.steps == 30 and result.work == 600
    accuracy = np.mean(((X @ W.data + b.data).argmax(1)) == y)
    assert accuracy > 0.9
    hist = {e["tag"] for e in read_events(tmp_path / "events.jsonl", type="histogram")}
    assert {"weights/W", "weights/b", "gradients/W", "gradients/b"} <= hist


def test_tensor_task_resume_equals_straight_run(tmp_path):
    straight, (_, _, W_ref, b_ref) = _classifier_task()
    Trainer(straight, epochs=4, schedule=LinearDecay(0.1, 0.0), seed=3, progress=False).fit()

    class Stop(Exception):
        pass

    first, _ = _classifier_task()
    inner = first.train_batch
    calls = []

    def dying(*args):
        if len(calls) == 11:
            raise Stop()
        calls.append(args)
        return inner(*args)

    first.train_batch = dying
    with pytest.raises(Stop):
        Trainer(first, epochs=4, schedule=LinearDecay(0.1, 0.0), seed=3,
                checkpoint_dir=tmp_path, checkpoint_every=4, progress=False).fit()
    second, (_, _, W, b) = _classifier_task()
    result = Trainer(second, epochs=4, schedule=LinearDecay(0.1, 0.0), seed=3,
                     checkpoint_dir=tmp_path, checkpoint_every=4, progress=False).fit()
    assert result.resumed_step == 8
    np.testing.assert_array_equal(W.data, W_ref.data)     # Adam moments restored too
    np.testing.assert_array_equal(b.data, b_ref.data)


def test_tensor_task_with_sparse_embeddings_and_sgd():
    """An embedding table trained through the Trainer: only looked-up rows change."""
    rng = np.random.default_rng(2)
    E = Tensor(rng.normal(size=(100, 3)), requires_grad=True)
    before = E.data.copy()
    targets = rng.normal(size=(10, 3))

    def loss_fn(epoch, index, rng):
        ids = np.arange(10) if index == 0 else np.arange(5)
        return ((E.embed(ids) - targets[ids]) ** 2).sum()

    task = TensorTask(SGD({"E": E}), loss_fn, num_batches=2, work=[10, 5])
    Trainer(task, epochs=20, schedule=0.2, progress=False).fit()
    np.testing.assert_allclose(E.data[:10], targets, atol=1e-3)
    np.testing.assert_array_equal(E.data[10:], before[10:])


def test_tensor_task_errors():
    w = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(TypeError, match="optimizer"):
        TensorTask(object(), lambda *a: None, 1)
    with pytest.raises(ValueError, match="work"):
        TensorTask(SGD([w]), lambda *a: None, 2, work=[1])
    task = TensorTask(SGD([w]), lambda *a: w * 2, 1)
    with pytest.raises(TypeError, match="single-value"):
        task.train_batch(0, 0, 0.1, 0.1, 0)


def test_one_step_per_batch_uses_the_midpoint_of_the_batch_rate_span():
    """Work 1 then 3 under LinearDecay(1, 0): the batches span rates 1 -> 0.75 and
    0.75 -> 0, so the steps (gradient 1) are 0.875 and 0.375."""
    w = Tensor(np.zeros(1), requires_grad=True)
    seen = []

    def loss_fn(epoch, index, rng):
        seen.append(float(w.data[0]))
        return w.sum()

    task = TensorTask(SGD({"w": w}), loss_fn, num_batches=2, work=[1, 3])
    Trainer(task, epochs=1, schedule=LinearDecay(1.0, 0.0), progress=False).fit()
    assert seen == [0.0, -0.875] and w.data[0] == -1.25


def test_a_constant_schedule_steps_with_the_constant_itself():
    w = Tensor(np.zeros(1), requires_grad=True)
    task = TensorTask(SGD({"w": w}), lambda *a: w.sum(), num_batches=3, work=[1, 2, 7])
    Trainer(task, epochs=1, schedule=0.1, progress=False).fit()
    assert w.data[0] == -0.1 - 0.1 - 0.1


def _embedding_task(checkpointed_optimizer=True):
    """Adam on a sparse embedding (lazy moments) and a dense matrix, over 90 shuffled
    examples in batches of 16, with random noise ids drawn from the trainer's seed."""
    data = np.random.default_rng(0)
    E = Tensor(data.normal(size=(50, 4)).astype(np.float32), requires_grad=True, name="E")
    W = Tensor(np.zeros((4, 3), np.float32), requires_grad=True, name="W")
    ids = data.integers(0, 50, size=(90, 5))
    labels = data.integers(0, 3, size=90)

    def batch_loss(rows, rng):
        noise = rng.integers(0, 50, size=(len(rows), 1))
        x = E.embed(np.concatenate([ids[rows], noise], axis=1)).mean(axis=1)
        return softmax_cross_entropy(x @ W, labels[rows]), {"noise_mean": float(noise.mean())}

    task = TensorTask.over_examples(Adam({"E": E, "W": W}), batch_loss, 90, 16, seed=4)
    if not checkpointed_optimizer:
        task.load_state = lambda state: None      # a resume that forgets Adam's m, v, step
    return task, (E, W)


def _train(task, folder=None):
    return Trainer(task, epochs=3, schedule=LinearDecay(0.05, 0.005), seed=9,
                   checkpoint_dir=folder, checkpoint_every=4, progress=False).fit()


def test_adam_task_stopped_mid_epoch_and_resumed_ends_bit_identical(tmp_path):
    straight, (E_ref, W_ref) = _embedding_task()
    _train(straight)

    class Stop(Exception):
        pass

    first, _ = _embedding_task()
    inner, done = first.train_batch, []

    def dying(*args):
        if len(done) == 9:        # 6 batches an epoch: dies inside the second epoch
            raise Stop()
        done.append(args)
        return inner(*args)

    first.train_batch = dying
    with pytest.raises(Stop):
        _train(first, tmp_path / "run")
    shutil.copytree(tmp_path / "run", tmp_path / "copy")

    resumed, (E, W) = _embedding_task()
    result = _train(resumed, tmp_path / "run")
    assert result.resumed_step == 8
    np.testing.assert_array_equal(E.data, E_ref.data)
    np.testing.assert_array_equal(W.data, W_ref.data)
    assert resumed.optimizer.steps == straight.optimizer.steps == 18

    # the same resume without the optimizer's state drifts: the moments matter
    forgetful, (E_lost, _) = _embedding_task(checkpointed_optimizer=False)
    _train(forgetful, tmp_path / "copy")
    assert not np.array_equal(E_lost.data, E_ref.data)


def test_example_batches_log_their_size_and_the_loss_extras(tmp_path):
    task, _ = _embedding_task()
    assert task.num_batches() == 6 and [task.batch_work(i) for i in range(6)] == [16] * 5 + [10]
    Trainer(task, epochs=1, events=tmp_path / "e.jsonl", progress=False).fit()
    steps, sizes = scalars(tmp_path / "e.jsonl", "examples")
    assert steps.tolist() == [1, 2, 3, 4, 5, 6] and sizes.tolist() == [16.0] * 5 + [10.0]
    assert len(scalars(tmp_path / "e.jsonl", "noise_mean")[1]) == 6


def test_minibatches_cover_every_example_once_per_epoch_in_a_seeded_order():
    batches = Minibatches(23, 5, seed=1)
    assert len(batches) == 5 and batches.sizes == [5, 5, 5, 5, 3]
    for epoch in (0, 1):
        rows = [batches.rows(epoch, i) for i in range(len(batches))]
        assert sorted(np.concatenate(rows)) == list(range(23))
        for got, expected in zip(rows, minibatches(23, 5, epoch, seed=1)):
            np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(batches.rows(0, 0), batches.rows(1, 0))
    with pytest.raises(ValueError, match="n >= 1"):
        Minibatches(0, 5)
