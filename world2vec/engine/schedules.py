"""Learning-rate schedules, as functions of the fraction of total work done.

Why a fraction of *work* rather than a step count: word2vec decays its rate
linearly with the number of words processed, and batches differ in size. The
trainer evaluates a schedule at the start and the end of each batch's span of
total work, so a kernel can interpolate inside the batch and the decay is exact.
"""

from __future__ import annotations

import math

__all__ = ["Schedule", "Constant", "LinearDecay", "CosineDecay"]


class Schedule:
    """Base: ``schedule(progress) -> lr`` for ``progress`` in [0, 1]."""

    def __call__(self, progress: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict:
        """Settings, for manifests and checkpoints."""
        return {"name": type(self).__name__, **vars(self)}


def _check_rate(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite non-negative learning rate, got {value}")
    return value


def _clip(progress: float) -> float:
    return min(max(float(progress), 0.0), 1.0)


class Constant(Schedule):
    """The same rate throughout."""

    def __init__(self, lr: float) -> None:
        self.lr = _check_rate("lr", lr)

    def __call__(self, progress: float) -> float:
        return self.lr


class LinearDecay(Schedule):
    """Straight line from ``start`` to ``end`` over all the work (word2vec's schedule)."""

    def __init__(self, start: float, end: float = 0.0) -> None:
        self.start = _check_rate("start", start)
        self.end = _check_rate("end", end)

    def __call__(self, progress: float) -> float:
        p = _clip(progress)
        return self.start + (self.end - self.start) * p


class CosineDecay(Schedule):
    """Half a cosine from ``start`` to ``end``, after an optional linear warm-up.

    ``warmup`` is a fraction of the total work spent rising from 0 to ``start``;
    a gentle start helps Adam-trained Tensor models.
    """

    def __init__(self, start: float, end: float = 0.0, warmup: float = 0.0) -> None:
        self.start = _check_rate("start", start)
        self.end = _check_rate("end", end)
        if not 0.0 <= float(warmup) < 1.0:
            raise ValueError(f"warmup must be a fraction in [0, 1), got {warmup}")
        self.warmup = float(warmup)

    def __call__(self, progress: float) -> float:
        p = _clip(progress)
        if p < self.warmup:
            return self.start * p / self.warmup
        t = (p - self.warmup) / (1.0 - self.warmup)
        return self.end + (self.start - self.end) * 0.5 * (1.0 + math.cos(math.pi * t))
