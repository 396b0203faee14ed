"""Tensor: a numpy array that remembers how it was made, for reverse-mode autodiff.

Define-by-run in the spirit of micrograd: every operation returns a new Tensor that
keeps its parents and a closure computing the parents' gradients from its own; the
forward and backward of each op sit side by side. ``backward()`` orders the graph
by an iterative depth-first topological sort (so a graph thousands of ops deep
does not hit Python's recursion limit) and runs the closures in reverse.

This module holds what every tensor is (data, gradient, graph, backward) and the
embedding lookup with its row-sparse gradient (:class:`RowSparse`): only the rows
a batch touched, so a 100k-word embedding matrix is never densified.
``tensor.grad`` always reads as a dense numpy array (built on demand); optimizers
look at ``tensor.sparse_grad`` and update only the touched rows.

The other operations (arithmetic, reductions, elementwise math, softmax,
indexing, cosine similarity) are methods :class:`Tensor` inherits from
:class:`~world2vec.engine.tensor_ops.TensorOps`; ``ops.py`` offers them as
functions and joins tensors (``concatenate``, ``stack``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .tensor_ops import TensorOps, as_array, unbroadcast

__all__ = ["Tensor", "RowSparse", "unbroadcast", "as_tensor", "no_grad_value"]

_ids = itertools.count()


class RowSparse:
    """A gradient that is zero except on some rows: ``dense[rows[i]] += values[i]``.

    Why a type of its own: a batch touches a few thousand rows of a vocabulary matrix
    that may hold millions; keeping the gradient as (rows, values) lets optimizers
    read and write only those rows (see optim.py) instead of sweeping the whole matrix.
    Rows may repeat (the same word twice in a batch); :meth:`coalesce` sums them.
    """

    __slots__ = ("rows", "values", "shape")

    def __init__(self, rows: np.ndarray, values: np.ndarray, shape: tuple[int, ...]) -> None:
        self.rows = np.asarray(rows, dtype=np.int64).ravel()
        self.values = np.asarray(values).reshape(len(self.rows), *shape[1:])
        self.shape = tuple(shape)

    def __add__(self, other: RowSparse) -> RowSparse:
        return RowSparse(np.concatenate([self.rows, other.rows]),
                         np.concatenate([self.values, other.values]), self.shape)

    def coalesce(self) -> RowSparse:
        """Unique sorted rows, with the values of repeated rows summed.

        Sort + ``add.reduceat`` rather than ``np.add.at``: about 10x faster on a
        batch of a few thousand 100-wide rows.
        """
        if len(self.rows) == 0:
            return self
        order = np.argsort(self.rows, kind="stable")
        rows = self.rows[order]
        starts = np.flatnonzero(np.concatenate([[True], rows[1:] != rows[:-1]]))
        if len(starts) == len(rows):
            return RowSparse(rows, self.values[order], self.shape)
        summed = np.add.reduceat(self.values[order], starts, axis=0)
        return RowSparse(rows[starts], summed, self.shape)

    def to_dense(self, dtype: Any = None) -> np.ndarray:
        dense = np.zeros(self.shape, dtype=dtype or self.values.dtype)
        unique = self.coalesce()
        dense[unique.rows] = unique.values
        return dense


class Tensor(TensorOps):
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
            seed = np.broadcast_to(as_array(grad, self.data), self.data.shape).copy()
        order = self.graph()
        # intermediate results get fresh gradients each pass; leaves accumulate
        for node in order:
            if node._parents:
                node._grad = None
        self._accumulate(seed)
        for node in reversed(order):
            if node._backward is not None and node._grad is not None:
                node._backward(node.grad)

    # -- embedding lookup (the row-sparse path) -------------------------------
    def embed(self, ids: Any) -> Tensor:
        """Rows ``self[ids]`` for integer ``ids`` of any shape -> shape ``(*ids.shape, dim)``.

        The gradient reaching this (2-D) weight matrix is a :class:`RowSparse` holding
        only the looked-up rows, so optimizers touch only those rows of a large
        vocabulary matrix.
        """
        if self.ndim != 2:
            raise ValueError(f"embedding weight must be 2-D (rows, dim), got shape {self.shape}")
        idx = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
        if idx.dtype.kind not in "iu":
            if idx.size and not np.all(np.mod(idx, 1) == 0):
                raise TypeError("embedding ids must be integers")
            idx = idx.astype(np.int64)
        rows = self.shape[0]
        if idx.size and (idx.min() < -rows or idx.max() >= rows):
            raise IndexError(f"embedding id out of range for {rows} rows")
        idx = np.where(idx < 0, idx + rows, idx)
        out = Tensor._make(self.data[idx], (self,), "embedding")

        def _backward(g: np.ndarray) -> None:
            self._accumulate(RowSparse(idx.ravel(), g.reshape(-1, self.shape[1]), self.shape))

        if out.requires_grad:
            out._backward = _backward
        return out


def as_tensor(value: Any) -> Tensor:
    """``value`` as a Tensor (a Tensor is returned unchanged)."""
    return value if isinstance(value, Tensor) else Tensor(value)


def no_grad_value(value: Any) -> np.ndarray:
    """The numpy array behind a Tensor or array-like, for code that takes either."""
    return value.data if isinstance(value, Tensor) else np.asarray(value)
