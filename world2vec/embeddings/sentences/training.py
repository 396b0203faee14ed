"""Pieces shared by the trained encoders (reverse dictionary, objects) on the engine.

Why here: both encoders compose a vector from a weighted bag of frozen unit word
vectors, refine it with a residual linear map, and are trained by the engine's
:class:`~world2vec.engine.trainer.Trainer` through the Task protocol with Adam on
Tensor autodiff. The padding, the differentiable weighted bag and the Task set-up
(the engine's :class:`~world2vec.engine.tasks.TensorTask` over shuffled examples,
Adam, learning rate from the trainer's schedule, optimizer state checkpointed) are
written once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from world2vec.engine.optim import Adam
from world2vec.engine.tasks import BatchLossFn, TensorTask
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
    """Rows of ``x`` scaled to length 1, differentiably (numpy rows: engine.linalg.unit_rows)."""
    return x / (((x * x).sum(axis=-1, keepdims=True)) + _EPS) ** 0.5


def trainable(arrays: dict[str, np.ndarray]) -> dict[str, Tensor]:
    """Tensors over the encoder's own float32 arrays (no copy: training updates them)."""
    return {name: Tensor(value, requires_grad=True, name=name) for name, value in arrays.items()}


def adam_task(parameters: dict[str, Tensor], batch_loss: BatchLossFn, n_examples: int,
              batch_size: int, seed: int) -> TensorTask:
    """The encoders' training task: Adam over shuffled mini-batches of examples, with the
    rate from the trainer's schedule (the engine's one Tensor-model adapter)."""
    return TensorTask.over_examples(Adam(parameters), batch_loss, n_examples, batch_size, seed)
