"""Graph export of a small model, and Tensor models trained through the Trainer."""

import json

import numpy as np
import pytest

from world2vec.engine import (
    SGD,
    Adam,
    CosineDecay,
    LinearDecay,
    Tensor,
    TensorTask,
    Trainer,
    graph_dict,
    minibatches,
    read_events,
    save_graph,
    softmax_cross_entropy,
    to_dot,
    to_json,
)


def _small_model():
    rng = np.random.default_rng(0)
    W = Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="W")
    b = Tensor(np.zeros(4), requires_grad=True, name="b")
    x = Tensor(rng.normal(size=(2, 3)), name="x")
    loss = softmax_cross_entropy((x @ W + b).relu(), np.array([1, 2]))
    return W, b, x, loss


def test_graph_json_describes_the_model():
    W, b, x, loss = _small_model()
    graph = json.loads(to_json(loss))
    assert graph == graph_dict(loss)
    nodes = {n["id"]: n for n in graph["nodes"]}
    by_name = {n["name"]: n for n in graph["nodes"] if n["name"]}
    assert by_name["W"]["kind"] == "parameter" and by_name["W"]["shape"] == [3, 4]
    assert by_name["x"]["kind"] == "constant" and not by_name["x"]["requires_grad"]
    ops = [n["op"] for n in graph["nodes"] if n["kind"] == "op"]
    assert ops == ["matmul", "add", "relu", "softmax_cross_entropy", "sum", "mul"]  # mean = sum * 1/n
    out = nodes[graph["output"]]
    assert out["shape"] == [] and out["id"] == max(nodes)       # output comes last
    edges = {(e["from"], e["to"]) for e in graph["edges"]}
    matmul = next(n["id"] for n in graph["nodes"] if n["op"] == "matmul")
    assert (by_name["W"]["id"], matmul) in edges and (by_name["x"]["id"], matmul) in edges
    # topological: every edge points forward
    assert all(a < b for a, b in edges)


def test_graph_dot_and_files(tmp_path):
    *_, loss = _small_model()
    dot = to_dot(loss)
    assert dot.startswith('digraph "world2vec" {') and dot.rstrip().endswith("}")
    assert "matmul" in dot and '"W\\n(3, 4)"' in dot
    assert dot.count("->") == len(graph_dict(loss)["edges"])
    save_graph(loss, tmp_path / "g.dot")
    save_graph(loss, tmp_path / "g.json")
    assert (tmp_path / "g.dot").read_text() == dot
    assert json.loads((tmp_path / "g.json").read_text())["output"] == graph_dict(loss)["output"]
    with pytest.raises(ValueError, match=".dot"):
        save_graph(loss, tmp_path / "g.png")


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
