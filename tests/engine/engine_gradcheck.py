"""Finite-difference gradient checking in float64, shared by the engine tests."""

import numpy as np

from world2vec.engine import Tensor


def numeric_grad(fn, arrays, which, eps=1e-6):
    """Central differences of the scalar fn(*arrays) with respect to arrays[which]."""
    base = [a.copy() for a in arrays]
    x = base[which]
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        up = fn(*base)
        x[i] = old - eps
        down = fn(*base)
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def check_gradients(fn, *arrays, seed=0, rtol=1e-5, atol=1e-7):
    """Compare backward() of ``fn(*tensors)`` with finite differences.

    A non-scalar output is projected on fixed random weights first, so every
    output element's gradient is exercised.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    probe = fn(*[Tensor(a) for a in arrays])
    weights = np.random.default_rng(seed).normal(size=probe.shape)

    def scalar(*xs):
        return float((fn(*[Tensor(x) for x in xs]).data * weights).sum())

    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*tensors)
    assert out.shape == probe.shape
    (out * weights).sum().backward()
    for k, t in enumerate(tensors):
        expected = numeric_grad(scalar, arrays, k)
        assert t.grad is not None, f"input {k} got no gradient"
        assert t.grad.shape == arrays[k].shape, f"input {k}: grad shape {t.grad.shape}"
        np.testing.assert_allclose(t.grad, expected, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {k}")
