"""Optimizers: SGD (with word2vec's linear decay), Adagrad and Adam.

Each updates parameters *in place* (a task's ``parameters()`` arrays stay the
same objects, which checkpoints and the trainer rely on). When a parameter's
gradient is row-sparse (an embedding lookup), only the touched rows are read
and written: a batch of 1,000 words updates 1,000 rows of a 100k-row matrix.

For SGD and Adagrad a sparse step equals the dense step exactly (untouched rows
have zero gradient and would not move). Adam's sparse step is "lazy", as in
TensorFlow's LazyAdam and PyTorch's SparseAdam: untouched rows keep their moments
and do not coast on momentum; it equals the dense step whenever the same rows are
touched, and on the first step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .tensor import RowSparse, Tensor

__all__ = ["Optimizer", "SGD", "Adagrad", "Adam"]


def _named(params: dict[str, Tensor] | Iterable[Tensor]) -> list[tuple[str, Tensor]]:
    items = list(params.items()) if isinstance(params, dict) else \
        [(p.name or f"param{i}", p) for i, p in enumerate(params)]
    if not items:
        raise ValueError("an optimizer needs at least one parameter")
    for name, p in items:
        if not isinstance(p, Tensor):
            raise TypeError(f"parameter {name!r} is a {type(p).__name__}, not a Tensor")
        if not p.requires_grad:
            raise ValueError(f"parameter {name!r} does not require gradients")
    if len({name for name, _ in items}) != len(items):
        raise ValueError("parameter names must be unique")
    return items


def _rate(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite non-negative number, got {value}")
    return value


class Optimizer:
    """Base: keeps named parameters, per-parameter state ("slots") and a step count."""

    def __init__(self, params: dict[str, Tensor] | Iterable[Tensor], lr: float) -> None:
        self.params = _named(params)
        self.lr = _rate("lr", lr)
        self.steps = 0
        self.slots: dict[str, dict[str, np.ndarray]] = {name: {} for name, _ in self.params}

    def zero_grad(self) -> None:
        for _, p in self.params:
            p.zero_grad()

    def current_lr(self) -> float:
        return self.lr

    def step(self, lr: float | None = None) -> None:
        """Apply the gradients now held by the parameters (``lr`` overrides the default)."""
        rate = self.current_lr() if lr is None else _rate("lr", lr)
        self.steps += 1
        for name, p in self.params:
            sparse = p.sparse_grad
            if sparse is not None:
                self._sparse(name, p.data, sparse.coalesce(), rate)
            elif p._grad is not None:
                self._dense(name, p.data, p.grad, rate)

    def _slot(self, name: str, key: str, like: np.ndarray, fill: float = 0.0) -> np.ndarray:
        slots = self.slots[name]
        if key not in slots:
            slots[key] = np.full_like(like, fill)
        return slots[key]

    def _dense(self, name: str, w: np.ndarray, g: np.ndarray, lr: float) -> None:
        raise NotImplementedError

    def _sparse(self, name: str, w: np.ndarray, g: RowSparse, lr: float) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Step count and slot arrays (copies), for checkpoints."""
        return {"steps": self.steps,
                "slots": {n: {k: v.copy() for k, v in s.items()} for n, s in self.slots.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        slots = state.get("slots", {})
        unknown = set(slots) - set(self.slots)
        if unknown:
            raise ValueError(f"optimizer state names unknown parameters {sorted(unknown)}")
        self.steps = int(state.get("steps", 0))
        shapes = {name: p.shape for name, p in self.params}
        for name, values in slots.items():
            for key, arr in values.items():
                if arr.shape != shapes[name]:
                    raise ValueError(f"optimizer slot {name}/{key} has shape {arr.shape}, "
                                     f"the parameter's is {shapes[name]}")
            self.slots[name] = {k: np.array(v) for k, v in values.items()}


class SGD(Optimizer):
    """Plain gradient descent, optionally decaying the rate linearly from ``lr`` to
    ``end_lr`` over ``total_steps`` steps (word2vec's schedule, when the trainer does
    not pass a rate itself)."""

    def __init__(self, params: dict[str, Tensor] | Iterable[Tensor], lr: float = 0.025,
                 end_lr: float | None = None, total_steps: int | None = None) -> None:
        super().__init__(params, lr)
        if (end_lr is None) != (total_steps is None):
            raise ValueError("linear decay needs both end_lr and total_steps")
        if total_steps is not None and total_steps < 1:
            raise ValueError(f"total_steps must be positive, got {total_steps}")
        self.end_lr = None if end_lr is None else _rate("end_lr", end_lr)
        self.total_steps = total_steps

    def current_lr(self) -> float:
        if self.end_lr is None or self.total_steps is None:
            return self.lr
        frac = min(self.steps / self.total_steps, 1.0)
        return self.lr + (self.end_lr - self.lr) * frac

    def _dense(self, name: str, w: np.ndarray, g: np.ndarray, lr: float) -> None:
        w -= (lr * g).astype(w.dtype, copy=False)

    def _sparse(self, name: str, w: np.ndarray, g: RowSparse, lr: float) -> None:
        w[g.rows] -= (lr * g.values).astype(w.dtype, copy=False)


class Adagrad(Optimizer):
    """Per-coordinate rates that shrink with the sum of squared gradients."""

    def __init__(self, params: dict[str, Tensor] | Iterable[Tensor], lr: float = 0.1,
                 eps: float = 1e-10, initial_accumulator: float = 0.0) -> None:
        super().__init__(params, lr)
        self.eps = _rate("eps", eps)
        self.initial = _rate("initial_accumulator", initial_accumulator)

    def _dense(self, name: str, w: np.ndarray, g: np.ndarray, lr: float) -> None:
        acc = self._slot(name, "sum_sq", w, self.initial)
        acc += g * g
        w -= (lr * g / (np.sqrt(acc) + self.eps)).astype(w.dtype, copy=False)

    def _sparse(self, name: str, w: np.ndarray, g: RowSparse, lr: float) -> None:
        acc = self._slot(name, "sum_sq", w, self.initial)
        rows_acc = acc[g.rows] + g.values * g.values
        acc[g.rows] = rows_acc
        w[g.rows] -= (lr * g.values / (np.sqrt(rows_acc) + self.eps)).astype(w.dtype, copy=False)


class Adam(Optimizer):
    """Adam with bias correction; lazy (touched rows only) for sparse gradients."""

    def __init__(self, params: dict[str, Tensor] | Iterable[Tensor], lr: float = 1e-3,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        for label, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{label} must be in [0, 1), got {beta}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), _rate("eps", eps)

    def _scale(self, lr: float) -> float:
        t = self.steps
        return lr * math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)

    def _dense(self, name: str, w: np.ndarray, g: np.ndarray, lr: float) -> None:
        m = self._slot(name, "m", w)
        v = self._slot(name, "v", w)
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        w -= (self._scale(lr) * m / (np.sqrt(v) + self.eps)).astype(w.dtype, copy=False)

    def _sparse(self, name: str, w: np.ndarray, g: RowSparse, lr: float) -> None:
        m = self._slot(name, "m", w)
        v = self._slot(name, "v", w)
        rows = g.rows
        m_rows = self.beta1 * m[rows] + (1 - self.beta1) * g.values
        v_rows = self.beta2 * v[rows] + (1 - self.beta2) * g.values * g.values
        m[rows], v[rows] = m_rows, v_rows
        w[rows] -= (self._scale(lr) * m_rows / (np.sqrt(v_rows) + self.eps)).astype(
            w.dtype, copy=False)
