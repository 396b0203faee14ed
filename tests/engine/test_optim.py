"""Optimizers reach minima, agree sparse vs dense, save and restore state; a Tensor MLP
learns XOR; deep graphs backpropagate without recursion limits."""

import numpy as np
import pytest

from world2vec.engine import SGD, Adagrad, Adam, Tensor, softmax_cross_entropy

OPTIMIZERS = {
    "sgd": lambda p: SGD(p, lr=0.1),
    "sgd_decay": lambda p: SGD(p, lr=0.2, end_lr=0.01, total_steps=300),
    "adagrad": lambda p: Adagrad(p, lr=0.5),
    "adam": lambda p: Adam(p, lr=0.05),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_optimizer_reaches_the_minimum_of_a_convex_problem(name):
    """Least squares ||A w - b||^2 / n + ||w - c||^2 has a closed-form minimum."""
    rng = np.random.default_rng(3)
    A, b, c = rng.normal(size=(40, 5)), rng.normal(size=40), rng.normal(size=5)
    expected = np.linalg.solve(A.T @ A / 40 + np.eye(5), A.T @ b / 40 + c)
    w = Tensor(np.zeros(5), requires_grad=True, name="w")
    opt = OPTIMIZERS[name]({"w": w})
    for _ in range(300 if name != "adam" else 600):
        opt.zero_grad()
        loss = ((A @ w - b) ** 2).mean() + ((w - c) ** 2).sum()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(w.data, expected, atol=2e-3)


def test_sgd_linear_decay_reaches_end_rate():
    w = Tensor(np.zeros(2), requires_grad=True)
    opt = SGD([w], lr=0.1, end_lr=0.0, total_steps=10)
    rates = []
    for _ in range(12):
        rates.append(opt.current_lr())
        opt.zero_grad()
        (w * 1.0).sum().backward()
        opt.step()
    np.testing.assert_allclose(rates[:3], [0.1, 0.09, 0.08])
    assert rates[10] == rates[11] == 0.0
    np.testing.assert_allclose(w.data, -np.full(2, sum(rates)))


def _embedding_problem(seed=0):
    rng = np.random.default_rng(seed)
    W0 = rng.normal(size=(50, 4))
    batches = [rng.integers(0, 12, size=(8,)) for _ in range(6)]   # rows 12.. never touched
    targets = [rng.normal(size=(8, 4)) for _ in range(6)]
    return W0, batches, targets


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.1), lambda p: Adagrad(p, lr=0.3)],
                         ids=["sgd", "adagrad"])
def test_sparse_and_dense_updates_agree(make):
    W0, batches, targets = _embedding_problem()
    sparse_w = Tensor(W0.copy(), requires_grad=True)
    dense_w = Tensor(W0.copy(), requires_grad=True)
    opt_s, opt_d = make([sparse_w]), make([dense_w])
    for ids, target in zip(batches, targets):
        for _w, opt, lookup in ((sparse_w, opt_s, sparse_w.embed), (dense_w, opt_d, dense_w.__getitem__)):
            opt.zero_grad()
            ((lookup(ids) - target) ** 2).sum().backward()
            opt.step()
        assert sparse_w.sparse_grad is not None and dense_w.sparse_grad is None
    np.testing.assert_allclose(sparse_w.data, dense_w.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(sparse_w.data[12:], W0[12:])       # untouched rows
    assert not np.allclose(sparse_w.data[:12], W0[:12])


def test_sparse_adam_matches_dense_when_the_same_rows_are_touched():
    W0, _, targets = _embedding_problem()
    ids = np.array([3, 1, 3, 7, 0, 1, 2, 5])
    sparse_w = Tensor(W0.copy(), requires_grad=True)
    dense_w = Tensor(W0.copy(), requires_grad=True)
    opt_s, opt_d = Adam([sparse_w], lr=0.01), Adam([dense_w], lr=0.01)
    for target in targets:
        opt_s.zero_grad()
        ((sparse_w.embed(ids) - target) ** 2).sum().backward()
        opt_s.step()
        opt_d.zero_grad()
        ((dense_w[ids] - target) ** 2).sum().backward()
        opt_d.step()
    touched = np.unique(ids)
    np.testing.assert_allclose(sparse_w.data[touched], dense_w.data[touched], rtol=1e-10)
    untouched = np.setdiff1d(np.arange(50), touched)
    np.testing.assert_array_equal(sparse_w.data[untouched], W0[untouched])


def test_sparse_updates_keep_float32_and_touch_only_rows():
    w = Tensor(np.ones((1000, 8), dtype=np.float32), requires_grad=True)
    opt = Adam({"emb": w}, lr=0.1)
    (w.embed([5, 9, 5]) * 2.0).sum().backward()
    opt.step()
    assert w.data.dtype == np.float32
    changed = np.where(np.any(w.data != 1.0, axis=1))[0]
    assert changed.tolist() == [5, 9]


def test_optimizer_state_round_trip_continues_identically():
    rng = np.random.default_rng(1)
    A, b = rng.normal(size=(10, 3)), rng.normal(size=10)

    def run(w, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            ((A @ w - b) ** 2).mean().backward()
            opt.step()

    w1 = Tensor(np.zeros(3), requires_grad=True)
    o1 = Adam({"w": w1}, lr=0.1)
    run(w1, o1, 10)
    w2 = Tensor(w1.data.copy(), requires_grad=True)
    o2 = Adam({"w": w2}, lr=0.1)
    o2.load_state_dict(o1.state_dict())
    run(w1, o1, 5)
    run(w2, o2, 5)
    np.testing.assert_array_equal(w1.data, w2.data)
    with pytest.raises(ValueError, match="unknown"):
        o2.load_state_dict({"steps": 1, "slots": {"other": {}}})


def test_optimizer_argument_errors():
    w = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="require"):
        SGD([Tensor(np.zeros(2))])
    with pytest.raises(ValueError, match="lr"):
        Adam([w], lr=-1)
    with pytest.raises(ValueError, match="beta1"):
        Adam([w], beta1=1.0)
    with pytest.raises(TypeError):
        SGD({"w": np.zeros(2)})
    with pytest.raises(ValueError):
        SGD([])


def test_mlp_learns_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0])
    rng = np.random.default_rng(0)
    params = {"W1": Tensor(rng.normal(size=(2, 8)), requires_grad=True),
              "b1": Tensor(np.zeros(8), requires_grad=True),
              "W2": Tensor(rng.normal(size=(8, 2)), requires_grad=True),
              "b2": Tensor(np.zeros(2), requires_grad=True)}
    opt = Adam(params, lr=0.05)

    def logits():
        hidden = (X @ params["W1"] + params["b1"]).tanh()
        return hidden @ params["W2"] + params["b2"]

    first = softmax_cross_entropy(logits(), y).item()
    for _ in range(300):
        opt.zero_grad()
        loss = softmax_cross_entropy(logits(), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 < first
    assert logits().data.argmax(axis=1).tolist() == [0, 1, 1, 0]


def test_a_very_deep_graph_backpropagates():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(20000):          # far past Python's recursion limit
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 20000])


def test_backward_errors_are_clear():
    with pytest.raises(RuntimeError, match="requires_grad"):
        Tensor(np.ones(2)).sum().backward()
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="single value"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, 4.0])
    with pytest.raises(TypeError, match="constant"):
        x ** x


def test_gradients_accumulate_until_zeroed():
    x = Tensor(np.array([2.0]), requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0])
    x.zero_grad()
    assert x.grad is None


def test_a_batch_graph_is_freed_as_soon_as_it_is_dropped():
    """No reference cycles: activations must not wait for the cycle collector
    (that grew a training loop to over 1 GB before)."""
    import gc
    import weakref

    from world2vec.engine import concatenate, margin_ranking_loss, negative_sampling_loss

    W = Tensor(np.random.default_rng(0).normal(size=(10, 4)), requires_grad=True)
    gc.disable()
    try:
        refs = []
        for _ in range(3):
            e = W.embed([1, 2, 3])
            h = concatenate([e, e * 2], axis=1).tanh().softmax()
            z = (h @ np.ones((8, 2))).log_softmax()
            loss = (softmax_cross_entropy(z, np.array([0, 1, 1])) + z[0].sum().exp()
                    + negative_sampling_loss(z[:, 0], z) + margin_ranking_loss(z[:, :1], z)
                    + (h ** 2).mean(axis=0).sum() / 3 - h.T.reshape(-1).relu().sum())
            loss.backward()
            refs += [weakref.ref(t) for t in (e, h, z, loss)]
            del e, h, z, loss
        assert all(ref() is None for ref in refs)
    finally:
        gc.enable()
    assert W.grad is not None
