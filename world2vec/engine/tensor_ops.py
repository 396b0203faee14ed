"""TensorOps: the differentiable operations every Tensor has as methods.

Why a mixin in a module of its own: :class:`~world2vec.engine.tensor.Tensor`
inherits these methods, so tensor.py imports this module at its top and this
module never imports tensor.py (no import cycle, no methods attached after the
class is built). An op builds its result with ``self._make`` and a constant with
``type(self)(...)``, so it needs nothing but the tensor it is called on.

Micrograd style: each op computes its forward value and, beside it, the closure
that sends its result's gradient back to its inputs. Gradients follow numpy
broadcasting: a gradient flowing into an operand that was broadcast is summed
back to the operand's shape (:func:`unbroadcast`).

Joining several tensors (``concatenate``, ``stack``) is a function, not a
method, and lives in ``ops.py`` with the functional forms of these methods; the
embedding lookup, whose gradient is row-sparse, lives in tensor.py beside the
sparse gradient type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

__all__ = ["TensorOps", "unbroadcast", "as_array"]

T = TypeVar("T", bound="TensorOps")
_Grads = tuple[np.ndarray | None, np.ndarray | None]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing numpy broadcasting."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def as_array(value: Any, like: np.ndarray | None = None) -> np.ndarray:
    """``value`` as a float array; constants join ``like``'s dtype (a Python 2.0 must
    not turn float32 into float64)."""
    if isinstance(value, (int, float, bool)) and like is not None:
        return np.asarray(value, dtype=like.dtype)
    arr = np.asarray(value)
    if arr.dtype.kind not in "fc":
        arr = arr.astype(like.dtype if like is not None else np.float64)
    return arr


class TensorOps:
    """Arithmetic, reductions, shapes, elementwise math, softmax, indexing and cosine
    similarity. The concrete class supplies ``data``, ``requires_grad``,
    ``_make(value, parents, op)`` (a result that tracks gradients iff a parent does),
    ``_accumulate(grad)`` and the ``_backward`` slot."""

    __slots__ = ()   # the concrete Tensor keeps its own __slots__ (no per-instance dict)

    data: np.ndarray
    requires_grad: bool
    _backward: Callable[[np.ndarray], None] | None
    _make: Callable[..., Any]
    _accumulate: Callable[[Any], None]

    # -- arithmetic ------------------------------------------------------------
    def _binary(self: T, other: Any, reflected: bool, op: str,
                forward: Callable[[np.ndarray, np.ndarray], np.ndarray],
                backward: Callable[..., _Grads]) -> T:
        """``forward(a, b)``; ``backward(g, a, b, out, need_a, need_b)`` returns the two
        gradients, skipping (None) one that is not needed, such as a data batch's."""
        other_t = other if isinstance(other, TensorOps) else type(self)(as_array(other, self.data))
        a, b = (other_t, self) if reflected else (self, other_t)
        value = forward(a.data, b.data)
        out = self._make(value, (a, b), op)

        def _backward(g: np.ndarray) -> None:
            ga, gb = backward(g, a.data, b.data, value, a.requires_grad, b.requires_grad)
            if a.requires_grad and ga is not None:
                a._accumulate(ga)
            if b.requires_grad and gb is not None:
                b._accumulate(gb)

        if out.requires_grad:
            out._backward = _backward
        return out

    # each operator's gradient rule sits right above it: rule(g, a, b, out, need_a,
    # need_b) -> gradients of a and b (None where not needed)
    @staticmethod
    def _add_grads(g: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray,
                   need_a: bool, need_b: bool) -> _Grads:
        return g, g

    def __add__(self: T, other: Any) -> T:
        return self._binary(other, False, "add", np.add, TensorOps._add_grads)

    def __radd__(self: T, other: Any) -> T:
        return self._binary(other, True, "add", np.add, TensorOps._add_grads)

    @staticmethod
    def _sub_grads(g: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray,
                   need_a: bool, need_b: bool) -> _Grads:
        return g, (-g if need_b else None)

    def __sub__(self: T, other: Any) -> T:
        return self._binary(other, False, "sub", np.subtract, TensorOps._sub_grads)

    def __rsub__(self: T, other: Any) -> T:
        return self._binary(other, True, "sub", np.subtract, TensorOps._sub_grads)

    @staticmethod
    def _mul_grads(g: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray,
                   need_a: bool, need_b: bool) -> _Grads:
        return (g * b if need_a else None), (g * a if need_b else None)

    def __mul__(self: T, other: Any) -> T:
        return self._binary(other, False, "mul", np.multiply, TensorOps._mul_grads)

    def __rmul__(self: T, other: Any) -> T:
        return self._binary(other, True, "mul", np.multiply, TensorOps._mul_grads)

    @staticmethod
    def _div_grads(g: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray,
                   need_a: bool, need_b: bool) -> _Grads:
        return (g / b if need_a else None), (-g * out / b if need_b else None)

    def __truediv__(self: T, other: Any) -> T:
        return self._binary(other, False, "div", np.divide, TensorOps._div_grads)

    def __rtruediv__(self: T, other: Any) -> T:
        return self._binary(other, True, "div", np.divide, TensorOps._div_grads)

    @staticmethod
    def _matmul_grads(g: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray,
                      need_a: bool, need_b: bool) -> _Grads:
        """Treats 1-D operands as numpy does (a row on the left, a column on the right)."""
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2) if b.ndim > 1 else g2.reshape(1)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1) if a.ndim > 1 else g2.reshape(1, 1)
        ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape) \
            if need_a else None
        gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape) \
            if need_b else None
        return ga, gb

    def __matmul__(self: T, other: Any) -> T:
        return self._binary(other, False, "matmul", np.matmul, TensorOps._matmul_grads)

    def __rmatmul__(self: T, other: Any) -> T:
        return self._binary(other, True, "matmul", np.matmul, TensorOps._matmul_grads)

    def __neg__(self: T) -> T:
        out = self._make(-self.data, (self,), "neg")
        if out.requires_grad:
            out._backward = lambda g: self._accumulate(-g)
        return out

    def __pos__(self: T) -> T:
        return self

    def __pow__(self: T, exponent: float) -> T:
        if isinstance(exponent, TensorOps) or np.ndim(exponent) != 0:
            raise TypeError("** takes a constant scalar exponent")
        p = float(exponent)
        out = self._make(self.data ** p, (self,), f"pow {p:g}")
        if out.requires_grad:
            out._backward = lambda g: self._accumulate(g * p * self.data ** (p - 1))
        return out

    # -- reductions and shapes -------------------------------------------------
    def sum(self: T, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> T:
        out = self._make(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

        def _backward(g: np.ndarray) -> None:
            if axis is not None and not keepdims:
                g = np.expand_dims(g, _normalize_axes(axis, self.data.ndim))
            self._accumulate(np.broadcast_to(g, self.data.shape))

        if out.requires_grad:
            out._backward = _backward
        return out

    def mean(self: T, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> T:
        count = self.data.size if axis is None else int(np.prod(
            [self.data.shape[i] for i in _normalize_axes(axis, self.data.ndim)]))
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / max(count, 1))

    def reshape(self: T, *shape: Any) -> T:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        out = self._make(self.data.reshape(shape), (self,), "reshape")
        if out.requires_grad:
            out._backward = lambda g: self._accumulate(g.reshape(self.data.shape))
        return out

    def transpose(self: T, *axes: int) -> T:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        perm = tuple(axes) if axes else tuple(reversed(range(self.data.ndim)))
        inverse = tuple(np.argsort(perm))
        out = self._make(self.data.transpose(perm), (self,), "transpose")
        if out.requires_grad:
            out._backward = lambda g: self._accumulate(g.transpose(inverse))
        return out

    @property
    def T(self: T) -> T:
        return self.transpose()

    # -- elementwise math ------------------------------------------------------
    def _unary(self: T, value: np.ndarray, op: str,
               local_grad: Callable[[np.ndarray], np.ndarray]) -> T:
        """``out = f(self)``; ``local_grad(out_data)`` is df/dx, computed only on backward."""
        out = self._make(value, (self,), op)
        if out.requires_grad:
            out._backward = lambda g: self._accumulate(g * local_grad(value))
        return out

    def exp(self: T) -> T:
        return self._unary(np.exp(self.data), "exp", lambda o: o)

    def log(self: T) -> T:
        return self._unary(np.log(self.data), "log", lambda o: 1.0 / self.data)

    def sqrt(self: T) -> T:
        return self._unary(np.sqrt(self.data), "sqrt", lambda o: 0.5 / o)

    def tanh(self: T) -> T:
        return self._unary(np.tanh(self.data), "tanh", lambda o: 1.0 - o * o)

    def sigmoid(self: T) -> T:
        return self._unary(_stable_sigmoid(self.data), "sigmoid", lambda o: o * (1.0 - o))

    def log_sigmoid(self: T) -> T:
        """log(sigmoid(x)) without overflow or log(0): the logistic loss building block."""
        z = self.data
        value = (np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))).astype(z.dtype, copy=False)
        return self._unary(value, "log_sigmoid", lambda o: _stable_sigmoid(-z))

    def relu(self: T) -> T:
        x = self.data
        return self._unary(np.maximum(x, 0), "relu", lambda o: (x > 0).astype(o.dtype))

    # -- softmax ---------------------------------------------------------------
    def softmax(self: T, axis: int = -1) -> T:
        """Numerically stable softmax (the row maximum is subtracted first)."""
        shifted = self.data - self.data.max(axis=axis, keepdims=True)
        e = np.exp(shifted)
        s = e / e.sum(axis=axis, keepdims=True)
        out = self._make(s, (self,), "softmax")

        def _backward(g: np.ndarray) -> None:
            self._accumulate(s * (g - (g * s).sum(axis=axis, keepdims=True)))

        if out.requires_grad:
            out._backward = _backward
        return out

    def log_softmax(self: T, axis: int = -1) -> T:
        """Stable log-softmax: x - max - log(sum(exp(x - max)))."""
        shifted = self.data - self.data.max(axis=axis, keepdims=True)
        value = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        out = self._make(value, (self,), "log_softmax")

        def _backward(g: np.ndarray) -> None:
            self._accumulate(g - np.exp(value) * g.sum(axis=axis, keepdims=True))

        if out.requires_grad:
            out._backward = _backward
        return out

    # -- indexing --------------------------------------------------------------
    def __getitem__(self: T, index: Any) -> T:
        """numpy indexing (slices, integers, integer arrays, masks); the gradient adds back
        into the selected places, counting a position as often as it was gathered."""
        index = _plain_index(index)
        out = self._make(self.data[index], (self,), "getitem")

        def _backward(g: np.ndarray) -> None:
            grad = np.zeros_like(self.data)
            np.add.at(grad, index, g)
            self._accumulate(grad)

        if out.requires_grad:
            out._backward = _backward
        return out

    # -- similarity ------------------------------------------------------------
    def cosine_similarity(self: T, other: Any, axis: int = -1, eps: float = 1e-8) -> T:
        """Cosine of the angle between this tensor and ``other`` along ``axis``
        (broadcasting). Built from differentiable pieces; ``eps`` keeps a zero vector
        finite."""
        a = self
        b = other if isinstance(other, TensorOps) else type(self)(other)
        dot = (a * b).sum(axis=axis)
        norms = ((a * a).sum(axis=axis) * (b * b).sum(axis=axis) + eps * eps) ** 0.5
        return dot / norms


def _normalize_axes(axis: int | tuple[int, ...], ndim: int) -> tuple[int, ...]:
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


def _stable_sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a negative number only: no overflow for large |z|
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def _plain_index(index: Any) -> Any:
    if isinstance(index, TensorOps):
        return index.data.astype(np.int64)
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    return index
