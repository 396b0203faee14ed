"""Operations beyond arithmetic: elementwise math, softmax, indexing, joining,
embedding lookup and cosine similarity. Each op's backward sits beside its forward.

The functions are attached to :class:`Tensor` as methods at the bottom (``x.exp()``,
``x.softmax()``, ``x[idx]``, ``W.embed(ids)``) and are also usable as functions
(``concatenate([a, b])``, ``cosine_similarity(a, b)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .tensor import RowSparse, Tensor, as_tensor

__all__ = ["exp", "log", "sqrt", "tanh", "sigmoid", "log_sigmoid", "relu", "softmax",
           "log_softmax", "getitem", "concatenate", "stack", "embedding", "cosine_similarity"]


def _unary(x: Tensor, value: np.ndarray, op: str, local_grad: Any) -> Tensor:
    """``out = f(x)``; ``local_grad(out_data)`` is df/dx, computed only on backward."""
    out = Tensor._make(value, (x,), op)
    if out.requires_grad:
        out._backward = lambda g: x._accumulate(g * local_grad(value))
    return out


def exp(x: Tensor) -> Tensor:
    return _unary(x, np.exp(x.data), "exp", lambda o: o)


def log(x: Tensor) -> Tensor:
    return _unary(x, np.log(x.data), "log", lambda o: 1.0 / x.data)


def sqrt(x: Tensor) -> Tensor:
    return _unary(x, np.sqrt(x.data), "sqrt", lambda o: 0.5 / o)


def tanh(x: Tensor) -> Tensor:
    return _unary(x, np.tanh(x.data), "tanh", lambda o: 1.0 - o * o)


def _stable_sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a negative number only: no overflow for large |z|
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid(x: Tensor) -> Tensor:
    return _unary(x, _stable_sigmoid(x.data), "sigmoid", lambda o: o * (1.0 - o))


def log_sigmoid(x: Tensor) -> Tensor:
    """log(sigmoid(x)) without overflow or log(0): the logistic loss building block."""
    z = x.data
    value = (np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))).astype(z.dtype, copy=False)
    return _unary(x, value, "log_sigmoid", lambda o: _stable_sigmoid(-z))


def relu(x: Tensor) -> Tensor:
    return _unary(x, np.maximum(x.data, 0), "relu", lambda o: (x.data > 0).astype(o.dtype))


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Numerically stable softmax (the row maximum is subtracted first)."""
    shifted = x.data - x.data.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    s = e / e.sum(axis=axis, keepdims=True)
    out = Tensor._make(s, (x,), "softmax")

    def _backward(g: np.ndarray) -> None:
        x._accumulate(s * (g - (g * s).sum(axis=axis, keepdims=True)))

    if out.requires_grad:
        out._backward = _backward
    return out


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Stable log-softmax: x - max - log(sum(exp(x - max)))."""
    shifted = x.data - x.data.max(axis=axis, keepdims=True)
    value = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    out = Tensor._make(value, (x,), "log_softmax")

    def _backward(g: np.ndarray) -> None:
        x._accumulate(g - np.exp(value) * g.sum(axis=axis, keepdims=True))

    if out.requires_grad:
        out._backward = _backward
    return out


def _plain_index(index: Any) -> Any:
    if isinstance(index, Tensor):
        return index.data.astype(np.int64)
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    return index


def getitem(x: Tensor, index: Any) -> Tensor:
    """numpy indexing (slices, integers, integer arrays, masks); the gradient adds back
    into the selected places, counting a position as often as it was gathered."""
    index = _plain_index(index)
    out = Tensor._make(x.data[index], (x,), "getitem")

    def _backward(g: np.ndarray) -> None:
        grad = np.zeros_like(x.data)
        np.add.at(grad, index, g)
        x._accumulate(grad)

    if out.requires_grad:
        out._backward = _backward
    return out


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors (or arrays) along an existing axis."""
    parts = [as_tensor(t) for t in tensors]
    if not parts:
        raise ValueError("concatenate needs at least one tensor")
    out = Tensor._make(np.concatenate([p.data for p in parts], axis=axis), parts, "concatenate")
    bounds = np.cumsum([p.data.shape[axis] for p in parts])[:-1]

    def _backward(g: np.ndarray) -> None:
        for part, grad in zip(parts, np.split(g, bounds, axis=axis)):
            if part.requires_grad:
                part._accumulate(grad)

    if out.requires_grad:
        out._backward = _backward
    return out


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    parts = [as_tensor(t) for t in tensors]
    if not parts:
        raise ValueError("stack needs at least one tensor")
    return concatenate([p.reshape((*p.shape[:axis % (p.ndim + 1)], 1,
                                   *p.shape[axis % (p.ndim + 1):])) for p in parts], axis=axis)


def embedding(weight: Tensor, ids: Any) -> Tensor:
    """Rows ``weight[ids]`` for integer ``ids`` of any shape -> shape ``(*ids.shape, dim)``.

    The gradient reaching ``weight`` is a :class:`RowSparse` holding only the looked-up
    rows, so optimizers touch only those rows of a large vocabulary matrix.
    """
    if weight.ndim != 2:
        raise ValueError(f"embedding weight must be 2-D (rows, dim), got shape {weight.shape}")
    idx = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if idx.dtype.kind not in "iu":
        if idx.size and not np.all(np.mod(idx, 1) == 0):
            raise TypeError("embedding ids must be integers")
        idx = idx.astype(np.int64)
    if idx.size and (idx.min() < -weight.shape[0] or idx.max() >= weight.shape[0]):
        raise IndexError(f"embedding id out of range for {weight.shape[0]} rows")
    idx = np.where(idx < 0, idx + weight.shape[0], idx)
    out = Tensor._make(weight.data[idx], (weight,), "embedding")

    def _backward(g: np.ndarray) -> None:
        weight._accumulate(RowSparse(idx.ravel(), g.reshape(-1, weight.shape[1]), weight.shape))

    if out.requires_grad:
        out._backward = _backward
    return out


def cosine_similarity(a: Any, b: Any, axis: int = -1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``a`` and ``b`` along ``axis`` (broadcasting).

    Built from differentiable pieces; ``eps`` keeps a zero vector finite.
    """
    a, b = as_tensor(a), as_tensor(b)
    dot = (a * b).sum(axis=axis)
    norms = ((a * a).sum(axis=axis) * (b * b).sum(axis=axis) + eps * eps) ** 0.5
    return dot / norms


# -- attach as methods --------------------------------------------------------
Tensor.exp = exp  # type: ignore[attr-defined]
Tensor.log = log  # type: ignore[attr-defined]
Tensor.sqrt = sqrt  # type: ignore[attr-defined]
Tensor.tanh = tanh  # type: ignore[attr-defined]
Tensor.sigmoid = sigmoid  # type: ignore[attr-defined]
Tensor.log_sigmoid = log_sigmoid  # type: ignore[attr-defined]
Tensor.relu = relu  # type: ignore[attr-defined]
Tensor.softmax = softmax  # type: ignore[attr-defined]
Tensor.log_softmax = log_softmax  # type: ignore[attr-defined]
Tensor.__getitem__ = getitem  # type: ignore[attr-defined]
Tensor.embed = embedding  # type: ignore[attr-defined]
Tensor.cosine_similarity = cosine_similarity  # type: ignore[attr-defined]
