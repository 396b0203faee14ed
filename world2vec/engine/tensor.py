"""Tensor: a numpy array that remembers how it was made, for reverse-mode autodiff.

Define-by-run in the spirit of micrograd: every operation returns a new Tensor that
keeps its parents and a closure computing the parents' gradients from its own; the
forward and backward of each op sit side by side. ``backward()`` orders the graph
by an iterative depth-first topological sort (so a graph thousands of ops deep
does not hit Python's recursion limit) and runs the closures in reverse.

Gradients follow numpy broadcasting: a gradient flowing into an operand that was
broadcast is summed back to the operand's shape (:func:`unbroadcast`).

An embedding lookup produces a *row-sparse* gradient (:class:`RowSparse`): only
the rows a batch touched, so a 100k-word embedding matrix is never densified.
``tensor.grad`` always reads as a dense numpy array (built on demand); optimizers
look at ``tensor.sparse_grad`` and update only the touched rows.

Elementwise math, softmax, indexing, concatenation, embedding and cosine
similarity live in ``ops.py`` and are attached as methods there.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .rowsparse import RowSparse

__all__ = ["Tensor", "RowSparse", "unbroadcast", "as_tensor", "no_grad_value"]

_ids = itertools.count()


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


def _as_array(value: Any, like: np.ndarray | None = None) -> np.ndarray:
    """Constants join a tensor's dtype (a Python 2.0 must not turn float32 into float64)."""
    if isinstance(value, (int, float, bool)) and like is not None:
        return np.asarray(value, dtype=like.dtype)
    arr = np.asarray(value)
    if arr.dtype.kind not in "fc":
        arr = arr.astype(like.dtype if like is not None else np.float64)
    return arr


class Tensor:
    """A numpy array (``.data``) with optional gradient tracking.

    >>> x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward(); x.grad
    array([2., 4.])
    """

    __slots__ = ("data", "requires_grad", "_grad", "_parents", "_backward", "op", "name", "id",
                 "__weakref__")
    # make numpy hand `ndarray <op> Tensor` over to Tensor's reflected operators
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None,
                 _parents: Sequence[Tensor] = (), _op: str = "") -> None:
        if isinstance(data, Tensor):
            data = data.data
        arr = np.asarray(data)
        if arr.dtype.kind not in "fc":
            arr = arr.astype(np.float64)
        self.data: np.ndarray = arr
        self.requires_grad = bool(requires_grad)
        self._grad: np.ndarray | RowSparse | None = None
        self._parents: tuple[Tensor, ...] = tuple(_parents)
        # called with this tensor's gradient; it must not hold this tensor itself
        # (a reference cycle would keep every batch's activations alive until the
        # cyclic garbage collector runs)
        self._backward: Callable[[np.ndarray], None] | None = None
        self.op = _op
        self.name = name
        self.id = next(_ids)

    # -- plumbing --------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, threshold=8)}{grad}{label})"

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float:
        return self.data.item()

    def detach(self) -> Tensor:
        """The same values, cut from the graph."""
        return Tensor(self.data)

    @property
    def grad(self) -> np.ndarray | None:
        """The gradient as a dense numpy array (None before backward)."""
        if isinstance(self._grad, RowSparse):
            return self._grad.to_dense(self.data.dtype)
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray | None) -> None:
        self._grad = None if value is None else np.asarray(value)

    @property
    def sparse_grad(self) -> RowSparse | None:
        """The gradient when it is row-sparse (embedding lookups only), else None."""
        return self._grad if isinstance(self._grad, RowSparse) else None

    def zero_grad(self) -> None:
        self._grad = None

    def _accumulate(self, grad: np.ndarray | RowSparse) -> None:
        if isinstance(grad, np.ndarray):
            grad = unbroadcast(grad, self.data.shape)
            if grad.dtype != self.data.dtype and self.data.dtype.kind == "f":
                grad = grad.astype(self.data.dtype)
        current = self._grad
        if current is None:
            self._grad = grad.copy() if isinstance(grad, np.ndarray) else grad
        elif isinstance(current, RowSparse) and isinstance(grad, RowSparse):
            self._grad = current + grad
        else:
            dense = current.to_dense(self.data.dtype) if isinstance(current, RowSparse) \
                else current
            if isinstance(grad, RowSparse):
                unique = grad.coalesce()
                dense[unique.rows] += unique.values
            else:
                dense = dense + grad
            self._grad = dense

    @staticmethod
    def _make(data: np.ndarray, parents: Iterable[Tensor], op: str) -> Tensor:
        """A result tensor; it tracks gradients iff any parent does."""
        parents = tuple(parents)
        tracked = any(p.requires_grad for p in parents)
        return Tensor(data, requires_grad=tracked, _parents=parents if tracked else (), _op=op)

    def graph(self) -> list[Tensor]:
        """Every tensor this one depends on, in topological order (inputs first)."""
        order: list[Tensor] = []
        seen: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for parent in node._parents:
                if id(parent) not in seen:
                    stack.append((parent, False))
        return order

    def backward(self, grad: Any = None) -> None:
        """Fill ``.grad`` of every tensor in the graph that requires it.

        With no argument the tensor must hold a single value (a loss); gradients
        add up over repeated calls until ``zero_grad``.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require gradients: "
                               "mark an input with requires_grad=True")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward() without a gradient needs a single value, "
                                   f"this tensor has shape {self.data.shape}")
            seed = np.ones_like(self.data)
        else:
            seed = np.broadcast_to(_as_array(grad, self.data), self.data.shape).copy()
        order = self.graph()
        # intermediate results get fresh gradients each pass; leaves accumulate
        for node in order:
            if node._parents:
                node._grad = None
        self._accumulate(seed)
        for node in reversed(order):
            if node._backward is not None and node._grad is not None:
                node._backward(node.grad)

    # -- arithmetic ------------------------------------------------------------
    def _binary(self, other: Any, reflected: bool, op: str,
                forward: Callable[[np.ndarray, np.ndarray], np.ndarray],
                backward: Callable[..., tuple[np.ndarray | None, np.ndarray | None]]) -> Tensor:
        """``forward(a, b)``; ``backward(g, a, b, out, need_a, need_b)`` returns the two
        gradients, skipping (None) one that is not needed, such as a data batch's."""
        other_t = other if isinstance(other, Tensor) else Tensor(_as_array(other, self.data))
        a, b = (other_t, self) if reflected else (self, other_t)
        value = forward(a.data, b.data)
        out = Tensor._make(value, (a, b), op)

        def _backward(g: np.ndarray) -> None:
            ga, gb = backward(g, a.data, b.data, value, a.requires_grad, b.requires_grad)
            if a.requires_grad and ga is not None:
                a._accumulate(ga)
            if b.requires_grad and gb is not None:
                b._accumulate(gb)

        if out.requires_grad:
            out._backward = _backward
        return out

    def __add__(self, other: Any) -> Tensor:
        return self._binary(other, False, "add", np.add, _add_backward)

    def __radd__(self, other: Any) -> Tensor:
        return self._binary(other, True, "add", np.add, _add_backward)

    def __sub__(self, other: Any) -> Tensor:
        return self._binary(other, False, "sub", np.subtract, _sub_backward)

    def __rsub__(self, other: Any) -> Tensor:
        return self._binary(other, True, "sub", np.subtract, _sub_backward)

    def __mul__(self, other: Any) -> Tensor:
        return self._binary(other, False, "mul", np.multiply, _mul_backward)

    def __rmul__(self, other: Any) -> Tensor:
        return self._binary(other, True, "mul", np.multiply, _mul_backward)

    def __truediv__(self, other: Any) -> Tensor:
        return self._binary(other, False, "div", np.divide, _div_backward)

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._binary(other, True, "div", np.divide, _div_backward)

    def __matmul__(self, other: Any) -> Tensor:
        return self._binary(other, False, "matmul", np.matmul, _matmul_backward)

    def __rmatmul__(self, other: Any) -> Tensor:
        return self._binary(other, True, "matmul", np.matmul, _matmul_backward)

    def __neg__(self) -> Tensor:
        out = Tensor._make(-self.data, (self,), "neg")
        if out.requires_grad:
            out._backward = lambda g: self._accumulate(-g)
        return out

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, Tensor) or np.ndim(exponent) != 0:
            raise TypeError("** takes a constant scalar exponent")
        p = float(exponent)
        out = Tensor._make(self.data ** p, (self,), f"pow {p:g}")
        if out.requires_grad:
            out._backward = lambda g: self._accumulate(g * p * self.data ** (p - 1))
        return out

    # -- reductions and shapes -------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        out = Tensor._make(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

        def _backward(g: np.ndarray) -> None:
            if axis is not None and not keepdims:
                g = np.expand_dims(g, _normalize_axes(axis, self.data.ndim))
            self._accumulate(np.broadcast_to(g, self.data.shape))

        if out.requires_grad:
            out._backward = _backward
        return out

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        count = self.data.size if axis is None else int(np.prod(
            [self.data.shape[i] for i in _normalize_axes(axis, self.data.ndim)]))
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / max(count, 1))

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        out = Tensor._make(self.data.reshape(shape), (self,), "reshape")
        if out.requires_grad:
            out._backward = lambda g: self._accumulate(g.reshape(self.data.shape))
        return out

    def transpose(self, *axes: int) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        perm = tuple(axes) if axes else tuple(reversed(range(self.data.ndim)))
        inverse = tuple(np.argsort(perm))
        out = Tensor._make(self.data.transpose(perm), (self,), "transpose")
        if out.requires_grad:
            out._backward = lambda g: self._accumulate(g.transpose(inverse))
        return out

    @property
    def T(self) -> Tensor:
        return self.transpose()


def _normalize_axes(axis: int | tuple[int, ...], ndim: int) -> tuple[int, ...]:
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


_Grads = tuple[np.ndarray | None, np.ndarray | None]


def _add_backward(g: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray,
                  need_a: bool, need_b: bool) -> _Grads:
    return g, g


def _sub_backward(g: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray,
                  need_a: bool, need_b: bool) -> _Grads:
    return g, (-g if need_b else None)


def _mul_backward(g: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray,
                  need_a: bool, need_b: bool) -> _Grads:
    return (g * b if need_a else None), (g * a if need_b else None)


def _div_backward(g: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray,
                  need_a: bool, need_b: bool) -> _Grads:
    return (g / b if need_a else None), (-g * out / b if need_b else None)


def _matmul_backward(g: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray,
                     need_a: bool, need_b: bool) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Gradients of ``a @ b``, treating 1-D operands as numpy does (a row / a column)."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2) if b.ndim > 1 else g2.reshape(1)
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1) if a.ndim > 1 else g2.reshape(1, 1)
    ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape) if need_a else None
    gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape) if need_b else None
    return ga, gb


def as_tensor(value: Any) -> Tensor:
    """``value`` as a Tensor (a Tensor is returned unchanged)."""
    return value if isinstance(value, Tensor) else Tensor(value)


def no_grad_value(value: Any) -> np.ndarray:
    """The numpy array behind a Tensor or array-like, for code that takes either."""
    return value.data if isinstance(value, Tensor) else np.asarray(value)


from . import ops as _ops  # noqa: E402,F401  (attaches math, indexing, softmax... as methods)
