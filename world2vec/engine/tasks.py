"""TensorTask: run a Tensor-built model under the :class:`Trainer`.

Why: the sentence and object encoders and the memory reader are written with
Tensors and an optimizer, not with fused kernels. This one adapter turns "a
function computing the loss of batch *i*" into the trainer's Task protocol: it
zeroes gradients, runs the forward pass, backpropagates and steps the optimizer.

Exact resume: the optimizer's state (step count and per-parameter slots such as
Adam's moments ``m`` and ``v``) is always part of ``state()``, which the trainer
writes into every checkpoint, and batch randomness comes from the trainer's seed.
A run stopped and resumed from a checkpoint therefore ends bit-identical to one
that never stopped.

Learning rate: one optimizer step stands for a whole batch, while the schedule
gives a rate at each point of the batch's span of work (``lr_start`` .. ``lr_end``).
The step uses their mean, the midpoint: for a linear schedule that is exactly the
average rate over the batch, so the total step size over a run follows the
schedule's area instead of lagging it by half a batch (the rate at the start
would), and a constant schedule gives the constant itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .optim import Optimizer
from .tensor import Tensor

__all__ = ["TensorTask", "Minibatches", "minibatches", "batch_rate"]

#: ``loss_fn(epoch, index, rng)`` -> a scalar Tensor, or (Tensor, extra scalars to log)
LossFn = Callable[[int, int, np.random.Generator], "Tensor | tuple[Tensor, dict[str, float]]"]
#: ``batch_loss(example_rows, rng)`` -> a scalar Tensor, or (Tensor, extra scalars to log)
BatchLossFn = Callable[[np.ndarray, np.random.Generator],
                       "Tensor | tuple[Tensor, dict[str, float]]"]


def batch_rate(lr_start: float, lr_end: float) -> float:
    """The rate one optimizer step uses for a batch spanning ``lr_start`` .. ``lr_end``
    of the schedule: their midpoint (see the module docstring)."""
    return (lr_start + lr_end) / 2


class TensorTask:
    """A Task whose batch ``index`` of ``epoch`` is trained by
    ``loss_fn(epoch, index, rng)``, returning a scalar Tensor or ``(Tensor, extras)``
    where ``extras`` are more numbers for the event log; ``rng`` is seeded by the
    trainer (so shuffling and sampling inside resume exactly).

    ``work`` is the work units per batch: one number for all, or a sequence.
    The optimizer must hold the model's parameters (it supplies their names); its
    state is checkpointed through :meth:`state`.
    """

    def __init__(self, optimizer: Optimizer, loss_fn: LossFn, num_batches: int,
                 work: int | Sequence[int] = 1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError("TensorTask needs an engine optimizer (SGD, Adagrad, Adam)")
        if num_batches < 1:
            raise ValueError(f"num_batches must be positive, got {num_batches}")
        if not isinstance(work, (int, np.integer)) and len(work) != num_batches:
            raise ValueError(f"work lists {len(work)} batches, num_batches is {num_batches}")
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self._num_batches = int(num_batches)
        self._work = work
        self.last_loss = float("nan")

    @classmethod
    def over_examples(cls, optimizer: Optimizer, batch_loss: BatchLossFn, n_examples: int,
                      batch_size: int, seed: int) -> TensorTask:
        """A task over ``n_examples`` examples in shuffled mini-batches of ``batch_size``
        (a fresh order each epoch, fixed by ``seed``): ``batch_loss(rows, rng)`` gets the
        example indices of the batch. Each batch's work is its number of examples, which
        is also logged as ``examples``."""
        batches = Minibatches(n_examples, batch_size, seed)

        def loss_fn(epoch: int, index: int, rng: np.random.Generator) -> tuple[Tensor, dict]:
            rows = batches.rows(epoch, index)
            loss, extras = _split(batch_loss(rows, rng))
            return loss, {"examples": float(len(rows)), **extras}

        return cls(optimizer, loss_fn, len(batches), work=batches.sizes)

    def parameters(self) -> dict[str, np.ndarray]:
        return {name: p.data for name, p in self.optimizer.params}

    def num_batches(self) -> int:
        return self._num_batches

    def batch_work(self, index: int) -> int:
        return int(self._work) if isinstance(self._work, (int, np.integer)) \
            else int(self._work[index])

    def train_batch(self, epoch: int, index: int, lr_start: float, lr_end: float,
                    seed: int) -> dict[str, float]:
        self.optimizer.zero_grad()
        loss, extras = _split(self.loss_fn(epoch, index, np.random.default_rng(seed)))
        loss.backward()
        self.optimizer.step(lr=batch_rate(lr_start, lr_end))
        self.last_loss = float(loss.data)
        return {"loss": self.last_loss, **extras}

    def gradients(self) -> dict[str, np.ndarray]:
        """Latest gradients (dense view), for the event log's histograms."""
        return {name: grad for name, p in self.optimizer.params
                if (grad := p.grad) is not None}

    def state(self) -> dict[str, Any]:
        """What a checkpoint needs beyond the parameters: the optimizer's step count and
        slots (Adam's moments), so a resumed run continues exactly."""
        return {"optimizer": self.optimizer.state_dict()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])


def _split(out: Any) -> tuple[Tensor, dict[str, float]]:
    loss, extras = out if isinstance(out, tuple) else (out, {})
    if not isinstance(loss, Tensor) or loss.size != 1:
        raise TypeError("loss_fn must return a single-value Tensor (or one and a dict)")
    return loss, dict(extras)


def minibatches(n: int, batch_size: int, epoch: int, seed: int = 0) -> list[np.ndarray]:
    """Row indices of ``n`` examples split into shuffled batches for ``epoch``.

    The order depends only on (seed, epoch), so a resumed run sees the same batches.
    """
    if n < 1 or batch_size < 1:
        raise ValueError("minibatches needs n >= 1 and batch_size >= 1")
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


class Minibatches:
    """:func:`minibatches` for a task that asks batch by batch: the epoch's order is
    drawn once per epoch rather than once per batch."""

    def __init__(self, n: int, batch_size: int, seed: int = 0) -> None:
        if n < 1 or batch_size < 1:
            raise ValueError("minibatches needs n >= 1 and batch_size >= 1")
        self.n, self.batch_size, self.seed = int(n), int(batch_size), seed
        self.sizes = [min(self.batch_size, self.n - start)
                      for start in range(0, self.n, self.batch_size)]
        self._epoch: int | None = None
        self._batches: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.sizes)

    def rows(self, epoch: int, index: int) -> np.ndarray:
        """Example indices of batch ``index`` in ``epoch``."""
        if epoch != self._epoch:
            self._batches = minibatches(self.n, self.batch_size, epoch, self.seed)
            self._epoch = epoch
        return self._batches[index]
