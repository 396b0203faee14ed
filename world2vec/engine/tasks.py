"""TensorTask: run a Tensor-built model under the :class:`Trainer`.

Why: the sentence encoder and the memory reader are written with Tensors and an
optimizer, not with fused kernels. This adapter turns "a function computing the
loss of batch *i*" into the trainer's Task protocol: it zeroes gradients, runs
the forward pass, backpropagates and steps the optimizer with the batch's
learning rate; the optimizer's moments are checkpointed through ``state()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .optim import Optimizer
from .tensor import Tensor

__all__ = ["TensorTask", "minibatches"]

LossFn = Callable[[int, int, np.random.Generator], Tensor]


class TensorTask:
    """A Task whose batch ``index`` of ``epoch`` is trained by
    ``loss_fn(epoch, index, rng) -> scalar Tensor``, where ``rng`` is seeded by the
    trainer (so shuffling and sampling inside resume exactly).

    ``work`` is the work units per batch: one number for all, or a sequence.
    The optimizer must hold the model's parameters (it supplies their names).
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
        loss = self.loss_fn(epoch, index, np.random.default_rng(seed))
        if not isinstance(loss, Tensor) or loss.size != 1:
            raise TypeError("loss_fn must return a single-value Tensor")
        loss.backward()
        self.optimizer.step(lr=lr_start)
        self.last_loss = float(loss.data)
        return {"loss": self.last_loss}

    def gradients(self) -> dict[str, np.ndarray]:
        """Latest gradients (dense view), for the event log's histograms."""
        return {name: p.grad for name, p in self.optimizer.params if p._grad is not None}

    def state(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])


def minibatches(n: int, batch_size: int, epoch: int, seed: int = 0) -> list[np.ndarray]:
    """Row indices of ``n`` examples split into shuffled batches for ``epoch``.

    The order depends only on (seed, epoch), so a resumed run sees the same batches.
    """
    if n < 1 or batch_size < 1:
        raise ValueError("minibatches needs n >= 1 and batch_size >= 1")
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]
