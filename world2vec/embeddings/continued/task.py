"""The engine task of a continued training: skip-gram/CBOW on new text from a trained space.

Why the known words move slowly: the stored memories, the sentence encoder, the object
encoder and the relation maps all live in the base model's space; if its words drift,
all of them are off. So after each batch the base rows keep only ``rate`` of what the
batch moved them (a per-row learning-rate scale on top of the kernel's), with
every input row fixed for the first ``freeze_epochs`` epochs: the output rows, which a
model directory does not keep and which therefore start from zero, first learn to fit
the frozen space (new words included, at their starting rows), and only then do the
words learn from the new text, new ones at the full rate.

The scale is applied as ``old + rate * (new - old)`` around the fused kernel
(``engine.sgns.train_batch``), so the kernel is shared with every other training.

Two choices measured on the bundled model (bench/bench_continued.py, docs/MODELS.md):

* negatives are drawn from the new text's own word counts, as a fresh training on it
  would. Drawn from the base model's counts they are nearly all words the text never
  uses, whose output rows only ever learn "not here": "occurs in the new text" then
  becomes one shared direction, and with 8,000 sentences a word used like "cat" ended
  among "motorway", "tyres" and "purred";
* a new row's move along the base space's common direction (the mean of its unit rows,
  long in any word2vec space) is dropped: what a small text says about that direction
  is mostly how often its words occur, and following it carries new words into the
  cone of rare words ("shepherd's", "ridden").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from world2vec.embeddings.continued.vocabulary import Extension
from world2vec.embeddings.words.corpus import EncodedCorpus
from world2vec.engine import sgns
from world2vec.engine.linalg import unit_rows

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
        self.alias = sgns.alias_table(extension.corpus_counts)
        self.on_batch = on_batch
        self.common = _common_direction(self.syn0[:self.base_size])
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
        last = index == self.num_batches() - 1   # its update is logged as the gradient
        before = self.syn0.copy()
        before_out = self.syn1.copy() if last else None
        out = sgns.train_batch(tokens, ptr, self.syn0, self.syn1, keep=self.keep,
                               alias=self.alias, skipgram=self.skipgram, window=self.window,
                               negative=self.negative, lr_start=lr_start, lr_end=lr_end,
                               seed=seed, threads=self.threads)
        if last:
            lr = max((lr_start + lr_end) / 2.0, 1e-12)
            self._last_update = {"syn0": _moved_rows(self.syn0, before, lr),
                                 "syn1": _moved_rows(self.syn1, before_out, lr)}
        n, rate = self.base_size, self.rate(epoch)
        if epoch < self.freeze_epochs:          # only the output rows learn
            self.syn0[...] = before
        else:
            known, old = self.syn0[:n], before[:n]
            known -= old
            known *= np.float32(rate)
            known += old
            if self.common is not None:         # see the module docstring
                moved = self.syn0[n:] - before[n:]
                self.syn0[n:] -= np.outer(moved @ self.common, self.common)
        out["known_rate"] = rate
        if self.on_batch is not None:
            self.on_batch(epoch, index)
        return out

    def gradients(self) -> dict[str, np.ndarray]:
        """The summed gradient of an epoch's last batch, over the rows it touched,
        recovered from the kernel's plain SGD update as ``-(new - old) / lr`` (the fused
        kernel never materialises gradients); logged as histograms by the trainer."""
        return dict(self._last_update)


def _common_direction(rows: np.ndarray) -> np.ndarray | None:
    """The unit mean of the unit ``rows`` (None for none, or a mean of zero)."""
    if not len(rows):
        return None
    mean = unit_rows(rows).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm > 0 else None


def _moved_rows(after: np.ndarray, before: np.ndarray, lr: float) -> np.ndarray:
    delta = after - before
    touched = np.any(delta != 0, axis=1)
    return -delta[touched] / np.float32(lr)
