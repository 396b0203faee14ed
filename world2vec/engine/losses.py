"""Losses the encoders train with. Each returns a Tensor; ``reduction`` is
"mean" (default), "sum" or "none" (one value per example).

- :func:`softmax_cross_entropy` for classification (the memory reader's answer
  choice); fused forward/backward, stable for large logits.
- :func:`negative_sampling_loss` for word2vec-style objectives on scores.
- :func:`margin_ranking_loss` (hinge) for ranking a right item above wrong ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Tensor, as_tensor

__all__ = ["softmax_cross_entropy", "negative_sampling_loss", "margin_ranking_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(per_example: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return per_example.mean()
    if reduction == "sum":
        return per_example.sum()
    return per_example


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def softmax_cross_entropy(logits: Any, targets: Any, reduction: str = "mean") -> Tensor:
    """Cross-entropy of ``softmax(logits)`` over the last axis against ``targets``.

    ``targets`` is either integer class ids with shape ``logits.shape[:-1]`` or a
    probability distribution with the shape of ``logits`` (soft labels).
    """
    _check_reduction(reduction)
    logits = as_tensor(logits)
    z = logits.data
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    shifted = z - z.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    if t.shape == z.shape and t.dtype.kind == "f":
        target_probs = t.astype(z.dtype)
    else:
        if t.shape != z.shape[:-1]:
            raise ValueError(f"targets of shape {t.shape} do not fit logits of shape {z.shape}: "
                             "give class ids of shape logits.shape[:-1] or probabilities "
                             "of logits' shape")
        if t.size and (t.min() < 0 or t.max() >= z.shape[-1] or np.any(np.mod(t, 1) != 0)):
            raise ValueError(f"class ids must be integers in [0, {z.shape[-1]})")
        target_probs = np.zeros_like(z)
        np.put_along_axis(target_probs, t.astype(np.int64)[..., None], 1.0, axis=-1)
    per_example = Tensor._make(-(target_probs * log_probs).sum(axis=-1), (logits,),
                               "softmax_cross_entropy")

    def _backward(g: np.ndarray) -> None:
        g = g[..., None]
        probs = np.exp(log_probs)
        logits._accumulate(g * (probs * target_probs.sum(axis=-1, keepdims=True)
                                - target_probs))

    if per_example.requires_grad:
        per_example._backward = _backward
    return _reduce(per_example, reduction)


def negative_sampling_loss(positive_scores: Any, negative_scores: Any,
                           reduction: str = "mean") -> Tensor:
    """word2vec's objective: ``-log σ(s⁺) - Σ_k log σ(-s⁻_k)`` per example.

    ``positive_scores`` has shape ``(B,)`` (the dot product of a word and its true
    context); ``negative_scores`` has shape ``(B, k)`` (the same word against ``k``
    sampled noise words).
    """
    _check_reduction(reduction)
    pos, neg = as_tensor(positive_scores), as_tensor(negative_scores)
    if neg.ndim != pos.ndim + 1 or neg.shape[:-1] != pos.shape:
        raise ValueError(f"negative scores of shape {neg.shape} must be positive scores' shape "
                         f"{pos.shape} plus one axis of samples")
    per_example = -(pos.log_sigmoid() + (-neg).log_sigmoid().sum(axis=-1))
    return _reduce(per_example, reduction)


def margin_ranking_loss(positive_scores: Any, negative_scores: Any, margin: float = 1.0,
                        reduction: str = "mean") -> Tensor:
    """Hinge ``max(0, margin - s⁺ + s⁻)``: zero once each right answer beats each
    wrong one by ``margin``. Shapes broadcast, e.g. ``(B, 1)`` against ``(B, k)``."""
    _check_reduction(reduction)
    pos, neg = as_tensor(positive_scores), as_tensor(negative_scores)
    return _reduce((margin - pos + neg).relu(), reduction)
