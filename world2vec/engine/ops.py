"""The operations as functions, and joining several tensors into one.

Every Tensor method of :class:`~world2vec.engine.tensor_ops.TensorOps` (and the
embedding lookup of :class:`~world2vec.engine.tensor.Tensor`) has a functional
form here, ``exp(x)`` for ``x.exp()``, for code that reads better that way;
arrays are accepted where a Tensor is and taken as constants.
``concatenate`` and ``stack`` take many tensors, so they are functions only, and
their backward sits beside their forward here.

This module imports tensor.py, never the other way round: methods come from the
mixin Tensor inherits, not from functions attached here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .tensor import Tensor, as_tensor

__all__ = ["exp", "log", "sqrt", "tanh", "sigmoid", "log_sigmoid", "relu", "softmax",
           "log_softmax", "getitem", "concatenate", "stack", "embedding", "cosine_similarity"]


def exp(x: Any) -> Tensor:
    return as_tensor(x).exp()


def log(x: Any) -> Tensor:
    return as_tensor(x).log()


def sqrt(x: Any) -> Tensor:
    return as_tensor(x).sqrt()


def tanh(x: Any) -> Tensor:
    return as_tensor(x).tanh()


def sigmoid(x: Any) -> Tensor:
    return as_tensor(x).sigmoid()


def log_sigmoid(x: Any) -> Tensor:
    """log(sigmoid(x)) without overflow or log(0): the logistic loss building block."""
    return as_tensor(x).log_sigmoid()


def relu(x: Any) -> Tensor:
    return as_tensor(x).relu()


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Numerically stable softmax (the row maximum is subtracted first)."""
    return as_tensor(x).softmax(axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """Stable log-softmax: x - max - log(sum(exp(x - max)))."""
    return as_tensor(x).log_softmax(axis)


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with numpy indexing; see :meth:`TensorOps.__getitem__`."""
    return as_tensor(x)[index]


def embedding(weight: Tensor, ids: Any) -> Tensor:
    """Rows ``weight[ids]`` with a row-sparse gradient; see :meth:`Tensor.embed`."""
    return weight.embed(ids)


def cosine_similarity(a: Any, b: Any, axis: int = -1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``a`` and ``b`` along ``axis`` (broadcasting);
    ``eps`` keeps a zero vector finite."""
    return as_tensor(a).cosine_similarity(as_tensor(b), axis=axis, eps=eps)


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
    """Join same-shaped tensors along a new axis (each gains an axis of length 1,
    then they are concatenated, so the gradient is concatenate's)."""
    parts = [as_tensor(t) for t in tensors]
    if not parts:
        raise ValueError("stack needs at least one tensor")
    return concatenate([p.reshape((*p.shape[:axis % (p.ndim + 1)], 1,
                                   *p.shape[axis % (p.ndim + 1):])) for p in parts], axis=axis)
