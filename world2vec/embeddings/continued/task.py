"""The engine task of a continued training: skip-gram/CBOW on new text from a trained space.

Why the known words move slowly: the stored memories, the sentence encoder, the object
encoder and the relation maps all live in the base model's space; if its words drift,
all of them are off. So after each batch the base rows keep only ``rate`` of what the
batch moved them (a per-row learning-rate scale on top of the kernel's), with
``rate = 0`` for the first ``freeze_epochs`` epochs: the output rows, which a model
directory does not keep and which therefore start from zero, first learn to fit the
frozen space, and only then are the known words allowed to learn from the new text.
New words train at the full rate throughout.

The scale is applied as ``old + rate * (new - old)`` around the fused kernel
(``engine.sgns.train_batch``), so the kernel is shared with every other training.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from world2vec.embeddings.continued.vocabulary import Extension
from world2vec.embeddings.words.corpus import EncodedCorpus
from world2vec.engine import sgns

__all__ = ["ContinuedTask"]


class ContinuedTask:
    """Parameters ``syn0`` (base rows, then new rows) and ``syn1`` (output rows)."""

    def __init__(self, corpus: EncodedCorpus, extension: Extension, syn0: np.ndarray, *,
                 window: int, negative: int, sample: float, mode: str, threads: int,
                 known_rate: float, freeze_epochs: int,
                 on_batch: Callable[[int, int], None] | None = None) -> None:
        if syn0.shape[0] != extension.size:
            raise ValueError(f"syn0 has {syn0.shape[0]} rows, the vocabulary {extension.size}")
        if not 0.0 <= known_rate <= 1.0:
            raise ValueError(f"known_rate must be between 0 and 1, got {known_rate!r}")
        self.corpus = corpus
        self.base_size = extension.base_size
        self.syn0 = np.ascontiguousarray(syn0, dtype=np.float32)
        self.syn1 = np.zeros_like(self.syn0)
        self.window, self.negative = int(window), int(negative)
        self.skipgram = mode == "skipgram"
        self.threads = int(threads)
        self.known_rate = float(known_rate)
        self.freeze_epochs = int(freeze_epochs)
        self.keep = sgns.keep_probabilities(extension.corpus_counts, sample)
        self.alias = sgns.alias_table(np.maximum(extension.counts, 1))
        self.on_batch = on_batch
        base_unit = self.syn0[:self.base_size]
        mean = (base_unit / np.maximum(np.linalg.norm(base_unit, axis=1, keepdims=True), 1e-12)).mean(0)
        self.common = (mean / np.linalg.norm(mean)).astype(np.float32) if np.linalg.norm(mean) > 0 else None
        self._last_update: dict[str, np.ndarray] = {}

    def parameters(self) -> dict[str, np.ndarray]:
        return {"syn0": self.syn0, "syn1": self.syn1}

    def num_batches(self) -> int:
        return len(self.corpus.batches)

    def batch_work(self, index: int) -> int:
        return self.corpus.batch_tokens(index)

    def rate(self, epoch: int) -> float:
        """How much of a batch's update the base rows keep in ``epoch``."""
        return 0.0 if epoch < self.freeze_epochs else self.known_rate

    def train_batch(self, epoch: int, index: int, lr_start: float, lr_end: float,
                    seed: int) -> dict[str, float]:
        tokens, ptr = self.corpus.batch(index)
        rate = self.rate(epoch)
        last = index == self.num_batches() - 1   # its update is logged as the gradient
        frozen = self.base_size if epoch >= self.freeze_epochs else len(self.syn0)
        before = self.syn0.copy() if last or self.common is not None else (
            self.syn0[:frozen].copy() if rate < 1.0 else None)
        before_out = self.syn1.copy() if last else None
        out = sgns.train_batch(tokens, ptr, self.syn0, self.syn1, keep=self.keep,
                               alias=self.alias, skipgram=self.skipgram, window=self.window,
                               negative=self.negative, lr_start=lr_start, lr_end=lr_end,
                               seed=seed, threads=self.threads)
        if last:
            lr = max((lr_start + lr_end) / 2.0, 1e-12)
            self._last_update = {"syn0": _moved_rows(self.syn0, before, lr),
                                 "syn1": _moved_rows(self.syn1, before_out, lr)}
        if self.common is not None and epoch >= self.freeze_epochs:
            # a new row's move along the space's common direction is dropped (see above)
            start = self.base_size
            if before is not None and len(before) > start:
                moved = self.syn0[start:] - before[start:]
                self.syn0[start:] -= np.outer(moved @ self.common, self.common)
        if before is not None and rate < 1.0:
            known = self.syn0[:frozen]
            old = before[:frozen]
            if rate == 0.0:
                known[...] = old
            else:
                known -= old
                known *= np.float32(rate)
                known += old
        out["known_rate"] = rate
        if self.on_batch is not None:
            self.on_batch(epoch, index)
        return out

    def gradients(self) -> dict[str, np.ndarray]:
        """The summed gradient of an epoch's last batch, over the rows it touched,
        recovered from the kernel's plain SGD update as ``-(new - old) / lr`` (the fused
        kernel never materialises gradients); logged as histograms by the trainer."""
        return dict(self._last_update)


def _moved_rows(after: np.ndarray, before: np.ndarray, lr: float) -> np.ndarray:
    delta = after - before
    touched = np.any(delta != 0, axis=1)
    return -delta[touched] / np.float32(lr)
