"""Every op and loss: analytic gradients agree with finite differences (float64),
including broadcasting, on random shapes."""

import numpy as np
import pytest
from engine_gradcheck import check_gradients

from world2vec.engine import (
    Tensor,
    concatenate,
    cosine_similarity,
    margin_ranking_loss,
    negative_sampling_loss,
    softmax_cross_entropy,
    stack,
)

rng = np.random.default_rng(42)


def r(*shape):
    return rng.normal(size=shape)


def pos(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3, 4), (3, 1)), ((1, 4), (5, 1)),
                    ((), (2, 3)), ((2, 1, 3), (4, 1))]


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES)
def test_binary_ops_with_broadcasting(op, shapes):
    check_gradients(BINARY[op], r(*shapes[0]), pos(*shapes[1]))


@pytest.mark.parametrize("op", sorted(BINARY))
def test_scalars_and_arrays_on_either_side(op):
    f = BINARY[op]
    const = pos(3, 1)
    check_gradients(lambda a: f(a, 2.5), r(3, 4))
    check_gradients(lambda a: f(2.5, a), pos(3, 4))
    check_gradients(lambda a: f(const, a), pos(3, 4))     # ndarray <op> Tensor
    check_gradients(lambda a: f(a, const), r(3, 4))
    x = Tensor(pos(3, 4))
    np.testing.assert_allclose(f(const, x).data, f(const, x.data))
    assert isinstance(f(const, x), Tensor) and isinstance(f(1, x), Tensor)


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)),
                                    ((4,), (4,)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 2)),
                                    ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2))])
def test_matmul_shapes(shapes):
    check_gradients(lambda a, b: a @ b, r(*shapes[0]), r(*shapes[1]))


def test_matmul_with_arrays_on_either_side():
    w = r(4, 5)
    check_gradients(lambda a: a @ w, r(3, 4))
    left = r(3, 4)
    check_gradients(lambda b: left @ b, r(4, 5))     # ndarray @ Tensor

UNARY = {
    "neg": (lambda a: -a, r),
    "pow2": (lambda a: a ** 2, r),
    "pow_half": (lambda a: a ** 0.5, pos),
    "pow_neg": (lambda a: a ** -1.5, pos),
    "exp": (lambda a: a.exp(), r),
    "log": (lambda a: a.log(), pos),
    "sqrt": (lambda a: a.sqrt(), pos),
    "tanh": (lambda a: a.tanh(), r),
    "sigmoid": (lambda a: a.sigmoid(), r),
    "log_sigmoid": (lambda a: a.log_sigmoid(), r),
    "relu": (lambda a: a.relu(), r),
    "softmax": (lambda a: a.softmax(), r),
    "softmax0": (lambda a: a.softmax(axis=0), r),
    "log_softmax": (lambda a: a.log_softmax(), r),
    "log_softmax0": (lambda a: a.log_softmax(axis=0), r),
    "sum": (lambda a: a.sum(), r),
    "sum1": (lambda a: a.sum(axis=1), r),
    "sum_keep": (lambda a: a.sum(axis=(0, 2), keepdims=True), r),
    "mean": (lambda a: a.mean(), r),
    "mean_neg_axis": (lambda a: a.mean(axis=-1), r),
    "mean_keep": (lambda a: a.mean(axis=0, keepdims=True), r),
    "reshape": (lambda a: a.reshape(4, -1), r),
    "T": (lambda a: a.T, r),
    "transpose": (lambda a: a.transpose(1, 0, 2), r),
    "slice": (lambda a: a[1:, ::2], r),
    "int_index": (lambda a: a[1], r),
    "gather_repeats": (lambda a: a[np.array([0, 2, 0, 1])], r),
    "gather_pairs": (lambda a: a[np.array([0, 1, 1]), np.array([2, 0, 2])], r),
    "mask": (lambda a: a[a.data > 0], r),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops(name):
    fn, make = UNARY[name]
    x = make(3, 4, 2)
    if name == "relu":
        x[np.abs(x) < 1e-3] = 0.5    # keep away from the kink
    check_gradients(fn, x)


def test_softmax_is_stable_for_huge_logits():
    x = Tensor(np.array([[1000.0, 1000.0, -1000.0]]), requires_grad=True)
    np.testing.assert_allclose(x.softmax().data, [[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(x.log_softmax().data[0, :2], [np.log(0.5)] * 2)
    x.log_softmax().sum().backward()
    assert np.all(np.isfinite(x.grad))
    big = Tensor(np.array([800.0, -800.0]), requires_grad=True)
    out = big.sigmoid() + big.log_sigmoid()
    out.sum().backward()
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(big.grad))


def test_concatenate_and_stack():
    check_gradients(lambda a, b, c: concatenate([a, b, c], axis=1), r(2, 3), r(2, 1), r(2, 4))
    check_gradients(lambda a, b: concatenate([a, b]), r(2, 3), r(4, 3))
    check_gradients(lambda a, b: stack([a, b], axis=1), r(2, 3), r(2, 3))
    mixed = concatenate([Tensor(r(1, 3)), np.zeros((1, 3))])
    assert mixed.shape == (2, 3)


def test_embedding_lookup_gradient_matches_dense_gather():
    weight = r(6, 3)
    ids = np.array([[1, 4, 1], [0, 5, 1]])
    check_gradients(lambda w: w.embed(ids), weight)
    w = Tensor(weight, requires_grad=True)
    (w.embed(ids) ** 2).sum().backward()
    sparse = w.sparse_grad
    assert sparse is not None and sorted(set(sparse.rows.tolist())) == [0, 1, 4, 5]
    dense = Tensor(weight, requires_grad=True)
    (dense[ids] ** 2).sum().backward()
    np.testing.assert_allclose(w.grad, dense.grad)
    assert np.all(w.grad[[2, 3]] == 0)


def test_embedding_rejects_bad_ids():
    w = Tensor(r(4, 2), requires_grad=True)
    with pytest.raises(IndexError):
        w.embed([0, 4])
    with pytest.raises(TypeError):
        w.embed([0.5])
    with pytest.raises(ValueError):
        Tensor(r(4)).embed([0])


@pytest.mark.parametrize("shapes", [((5, 3), (5, 3)), ((5, 3), (3,)), ((2, 4, 3), (2, 1, 3)),
                                    ((4, 3), (2, 1, 3))])
def test_cosine_similarity(shapes):
    check_gradients(lambda a, b: cosine_similarity(a, b), r(*shapes[0]), r(*shapes[1]))
    a, b = r(*shapes[0]), r(*shapes[1])
    expected = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    np.testing.assert_allclose(cosine_similarity(Tensor(a), b).data, expected)


def test_softmax_cross_entropy_with_class_ids_and_soft_labels():
    targets = np.array([0, 3, 1, 3])
    check_gradients(lambda z: softmax_cross_entropy(z, targets), r(4, 5))
    check_gradients(lambda z: softmax_cross_entropy(z, targets, reduction="none"), r(4, 5))
    soft = rng.dirichlet(np.ones(5), size=4)
    check_gradients(lambda z: softmax_cross_entropy(z, soft, reduction="sum"), r(4, 5))
    z = r(4, 5)
    shifted = z - z.max(1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    np.testing.assert_allclose(softmax_cross_entropy(Tensor(z), targets).data,
                               -logp[np.arange(4), targets].mean())


def test_negative_sampling_loss():
    check_gradients(lambda p, n: negative_sampling_loss(p, n), r(6), r(6, 4))
    check_gradients(lambda p, n: negative_sampling_loss(p, n, reduction="none"), r(6), r(6, 4))
    p, n = r(3), r(3, 2)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    expected = -(np.log(sig(p)) + np.log(sig(-n)).sum(1)).mean()
    np.testing.assert_allclose(negative_sampling_loss(Tensor(p), n).data, expected)


def test_negative_sampling_loss_through_embeddings():
    """The word2vec objective built from Tensors: input/output embeddings and dot products."""
    centers, contexts, negatives = np.array([0, 2, 2]), np.array([1, 3, 0]), \
        np.array([[4, 1], [0, 4], [3, 3]])

    def loss(win, wout):
        u = win.embed(centers)                                   # (B, d)
        pos = (u * wout.embed(contexts)).sum(-1)                 # (B,)
        neg = (wout.embed(negatives) @ u.reshape(3, 4, 1)).reshape(3, 2)
        return negative_sampling_loss(pos, neg)

    check_gradients(loss, r(5, 4) * 0.5, r(5, 4) * 0.5)


def test_margin_ranking_loss():
    p, n = r(5, 1), r(5, 3)
    n[np.abs(1.0 - p + n) < 1e-3] += 0.1           # keep away from the hinge's kink
    check_gradients(lambda a, b: margin_ranking_loss(a, b, margin=1.0), p, n)
    np.testing.assert_allclose(margin_ranking_loss(Tensor(p), n, margin=0.5).data,
                               np.maximum(0, 0.5 - p + n).mean())
    assert margin_ranking_loss(Tensor(np.array([5.0])), np.array([0.0])).item() == 0.0


def test_loss_argument_errors_are_clear():
    with pytest.raises(ValueError, match="class ids"):
        softmax_cross_entropy(Tensor(r(2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="do not fit"):
        softmax_cross_entropy(Tensor(r(2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="reduction"):
        margin_ranking_loss(Tensor(r(2)), r(2), reduction="avg")
    with pytest.raises(ValueError, match="samples"):
        negative_sampling_loss(Tensor(r(3)), r(4, 2))


def test_a_composite_expression_with_reuse():
    """A node used several times gets the sum of its gradients."""
    def f(a, b):
        h = (a @ b).tanh()
        return (h * h + h.sigmoid() * 3 - h / 2).mean(axis=0)

    check_gradients(f, r(3, 4), r(4, 2))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import mutually_broadcastable_shapes  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       op=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**16))
def test_any_broadcast_pair_gets_gradients_of_its_own_shape(shapes, op, seed):
    local = np.random.default_rng(seed)
    a = local.normal(size=shapes.input_shapes[0])
    b = local.uniform(0.5, 2.0, size=shapes.input_shapes[1])
    check_gradients(BINARY[op], a, b)


def test_float32_stays_float32_through_ops_and_gradients():
    x = Tensor(r(4, 3).astype(np.float32), requires_grad=True)
    w = Tensor(r(3, 2).astype(np.float32), requires_grad=True)
    out = ((x @ w).tanh() * 2.0 + 1).softmax().mean()
    assert out.dtype == np.float32
    out.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_tensor_shares_memory_with_a_float_array():
    """Tasks hand their numpy parameters to Tensors; updates must reach the arrays."""
    array = np.zeros(3, dtype=np.float32)
    t = Tensor(array, requires_grad=True)
    t.data += 1
    assert array.tolist() == [1.0, 1.0, 1.0]
    assert Tensor(np.array([1, 2])).dtype == np.float64      # integers become floats
