"""Pieces shared by the trained encoders (reverse dictionary, objects) on the engine.

Why here: both encoders compose a vector from a weighted bag of frozen unit word
vectors, refine it with a residual linear map, and are trained by the engine's
:class:`~world2vec.engine.trainer.Trainer` through the Task protocol with Adam on
Tensor autodiff. The padding, the differentiable weighted bag and the Task
plumbing (epochs shuffled by seed, learning rate from the trainer's schedule) are
written once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from world2vec.engine.optim import Adam
from world2vec.engine.tensor import Tensor

_EPS = 1e-8


def pad(sequences: Sequence[Sequence[int]], max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Pad id lists to a matrix (0 where padded) and a float mask (1 where real)."""
    width = max(1, min(max_len, max((len(s) for s in sequences), default=1)))
    ids = np.zeros((len(sequences), width), dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.float32)
    for row, seq in enumerate(sequences):
        seq = list(seq)[:width]
        ids[row, :len(seq)] = seq
        mask[row, :len(seq)] = 1.0
    return ids, mask


def weighted_bag(log_weights: Tensor, unit_vectors: np.ndarray, ids: np.ndarray,
                 mask: np.ndarray) -> Tensor:
    """``sum_l exp(g[id_l]) u[id_l] / sum_l exp(g[id_l])`` over real positions (B, dim).

    ``g`` (``log_weights``, shape (V, 1)) is learned; ``u`` stays frozen, so the
    encoder lands in the word vectors' own space.
    """
    w = log_weights.embed(ids).exp() * mask[..., None]          # (B, L, 1)
    vectors = Tensor(unit_vectors[ids])                           # (B, L, d), constant
    total = (w * vectors).sum(axis=1)                             # (B, d)
    return total / (w.sum(axis=1) + _EPS)


def residual(x: Tensor, matrix: Tensor) -> Tensor:
    """``x + x @ W`` (W starts at zero, so an untrained encoder is the plain bag)."""
    return x + x @ matrix


def unit(x: Tensor) -> Tensor:
    return x / (((x * x).sum(axis=-1, keepdims=True)) + _EPS) ** 0.5


def numpy_unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


class AdamTask:
    """Task protocol plumbing over named numpy parameters updated by the engine's Adam.

    Subclasses set ``self.arrays`` (name -> float32 array), ``self.n_examples``,
    ``self.batch_size`` and implement ``loss(batch_indices, rng) -> (Tensor, dict)``.
    """

    arrays: dict[str, np.ndarray]
    n_examples: int
    batch_size: int

    def _setup(self, seed: int) -> None:
        self.tensors = {k: Tensor(v, requires_grad=True, name=k) for k, v in self.arrays.items()}
        self.optimizer = Adam(self.tensors, lr=1e-3)
        self.seed = seed
        self._order_epoch = -1
        self._order = np.arange(self.n_examples)

    def parameters(self) -> dict[str, np.ndarray]:
        return self.arrays

    def num_batches(self) -> int:
        return max(1, -(-self.n_examples // self.batch_size))

    def batch_work(self, index: int) -> int:
        return min(self.batch_size, self.n_examples - index * self.batch_size)

    def _batch(self, epoch: int, index: int) -> np.ndarray:
        if epoch != self._order_epoch:
            self._order = np.random.default_rng((self.seed, epoch)).permutation(self.n_examples)
            self._order_epoch = epoch
        return self._order[index * self.batch_size:(index + 1) * self.batch_size]

    def train_batch(self, epoch: int, index: int, lr_start: float, lr_end: float,
                    seed: int) -> dict[str, float]:
        batch = self._batch(epoch, index)
        self.optimizer.zero_grad()
        loss, extra = self.loss(batch, np.random.default_rng(seed))
        loss.backward()
        self.optimizer.step(lr=(lr_start + lr_end) / 2)
        return {"loss": float(loss.item()), "examples": float(len(batch)), **extra}

    def loss(self, batch: np.ndarray, rng: np.random.Generator) -> tuple[Tensor, dict]:
        raise NotImplementedError
