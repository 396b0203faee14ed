"""Distil a sentence transformer into static token vectors, trained by our engine.

Why static token vectors: a pretrained transformer (the *teacher*) knows far more
about the world than a dictionary can teach word2vec, but it encodes ~50 texts/s
on a CPU. Model2Vec (Tulkens and van Dongen, 2024) showed that most of its sentence
geometry survives in one vector per token: the teacher's vector of the token
encoded alone, reduced by PCA and scaled by a frequency weight, averaged over a
text. Tokenlearn then fine-tunes those rows so the average regresses the teacher's
own sentence vectors on unlabelled text. This module does both steps with our own
engine (Tensor autodiff, row-sparse embedding gradients, Adam, the Trainer):

1. :func:`principal_axes` and :func:`frequency_weights` give the starting rows,
2. :class:`StaticStudent` ``.fit`` regresses teacher sentence vectors (cosine loss),
   optionally with in-batch contrastive pairs (a headword and its definition, a
   package's synopsis and its description).

The teacher itself (torch) lives in :mod:`teacher`; this module needs only numpy,
so tests run it with a stand-in teacher.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from world2vec.engine.losses import softmax_cross_entropy
from world2vec.engine.optim import Adam
from world2vec.engine.schedules import LinearDecay
from world2vec.engine.tasks import TensorTask, minibatches
from world2vec.engine.tensor import Tensor
from world2vec.engine.trainer import Trainer

_EPS = 1e-8
MAX_TOKENS = 128


def principal_axes(matrix: np.ndarray, dim: int) -> np.ndarray:
    """Top ``dim`` right singular vectors of the uncentered rows, shape (in_dim, dim).

    Uncentered, so projecting keeps dot products (and hence cosines) as well as a
    rank-``dim`` map can; the teacher's vectors are unit rows already.
    """
    x = np.asarray(matrix, dtype=np.float64)
    if dim >= x.shape[1]:
        return np.eye(x.shape[1], dim, dtype=np.float32)
    _, _, vt = np.linalg.svd(x.T @ x)  # (in, in): cheap for in_dim ~ 384
    return vt[:dim].T.astype(np.float32)


def frequency_weights(counts: np.ndarray, a: float = 1e-4) -> np.ndarray:
    """SIF weights ``a / (a + p(w))``: frequent tokens ("the", "of") count for little."""
    counts = np.asarray(counts, dtype=np.float64)
    p = np.maximum(counts, 1.0) / max(float(counts.sum()), 1.0)
    return (a / (a + p)).astype(np.float32)


def pad_ids(sequences: Sequence[Sequence[int]], max_len: int = MAX_TOKENS
            ) -> tuple[np.ndarray, np.ndarray]:
    """Id lists -> (ids padded with 0, float mask with 1 on real tokens)."""
    width = max(1, min(max_len, max((len(s) for s in sequences), default=1)))
    ids = np.zeros((len(sequences), width), dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.float32)
    for row, seq in enumerate(sequences):
        seq = list(seq)[:width]
        ids[row, :len(seq)] = seq
        mask[row, :len(seq)] = 1.0
    return ids, mask


def _mean_rows(table: Tensor, ids: np.ndarray, mask: np.ndarray) -> Tensor:
    rows = table.embed(ids) * mask[..., None]                       # (B, L, d)
    return rows.sum(axis=1) / (mask.sum(axis=1, keepdims=True) + _EPS)


def _unit(x: Tensor) -> Tensor:
    return x / ((x * x).sum(axis=-1, keepdims=True) + _EPS) ** 0.5


class StaticStudent:
    """One row per token; a text's vector is the mean of its tokens' rows.

    The row norms act as the token weights (they start as frequency weights), so
    no separate weight vector is needed and the student is exactly what the
    ``distilled`` sentence encoder computes at serving time.
    """

    def __init__(self, table: np.ndarray) -> None:
        self.table = np.ascontiguousarray(table, dtype=np.float32)

    @classmethod
    def from_teacher(cls, token_vectors: np.ndarray, axes: np.ndarray,
                     weights: np.ndarray) -> StaticStudent:
        """Model2Vec's start: teacher token vectors, projected, scaled by ``weights``."""
        projected = np.asarray(token_vectors, np.float32) @ axes
        projected /= np.maximum(np.linalg.norm(projected, axis=1, keepdims=True), _EPS)
        return cls(projected * np.asarray(weights, np.float32)[:, None])

    def encode_ids(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Unit vectors of id lists (an empty list gives a zero row)."""
        out = np.zeros((len(sequences), self.table.shape[1]), np.float32)
        for row, seq in enumerate(sequences):
            if len(seq):
                out[row] = self.table[np.asarray(seq[:MAX_TOKENS])].mean(axis=0)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), _EPS)

    def remove_common(self, sequences: Sequence[Sequence[int]], k: int = 1) -> np.ndarray:
        """Project the top ``k`` principal directions of text vectors out of every row.

        Why: averages of many token rows share a common direction (SIF's observation),
        which compresses all text-text cosines toward one value. The projection is
        linear, so applying it to the rows equals applying it to every text vector,
        and a one-word text still lands exactly on its concept. Returns the removed
        directions (k, dim).
        """
        if k <= 0:
            return np.zeros((0, self.table.shape[1]), np.float32)
        _, _, vt = np.linalg.svd(self.encode_ids(sequences), full_matrices=False)
        directions = vt[:k].astype(np.float32)
        self.table = self.table - (self.table @ directions.T) @ directions
        return directions

    def fit(self, sequences: Sequence[Sequence[int]], targets: np.ndarray,
            pairs: Sequence[tuple[Sequence[int], Sequence[int]]] = (),
            epochs: int = 3, batch_size: int = 256, lr: float = 5e-3,
            pair_weight: float = 0.5, scale: float = 20.0, seed: int = 1,
            events: str | None = None, progress: bool | None = True) -> dict:
        """Regress unit ``targets`` (teacher sentence vectors in the student's space).

        Loss per batch: mean ``1 - cos(student(text), teacher(text))``, plus
        ``pair_weight`` times an in-batch softmax cross-entropy over cosines (scaled
        by ``scale``) for ``pairs`` (anchor, positive), when given.
        """
        keep = [i for i, s in enumerate(sequences) if len(s)]
        seqs = [list(sequences[i])[:MAX_TOKENS] for i in keep]
        goal = np.asarray(targets, np.float32)[keep]
        goal = goal / np.maximum(np.linalg.norm(goal, axis=1, keepdims=True), _EPS)
        pair_list = [(list(a)[:MAX_TOKENS], list(b)[:MAX_TOKENS]) for a, b in pairs
                     if len(a) and len(b)]
        if not seqs:
            raise ValueError("no text with known tokens to distil from")
        table = Tensor(self.table, requires_grad=True, name="tokens")
        optimizer = Adam({"tokens": table}, lr=lr)
        n_batches = -(-len(seqs) // batch_size)
        pair_batch = max(1, -(-len(pair_list) // n_batches)) if pair_list else 0

        def loss_fn(epoch: int, index: int, rng: np.random.Generator) -> Tensor:
            batch = minibatches(len(seqs), batch_size, epoch, seed)[index]
            ids, mask = pad_ids([seqs[i] for i in batch])
            student = _unit(_mean_rows(table, ids, mask))
            loss = 1.0 - (student * Tensor(goal[batch])).sum(axis=-1).mean()
            if pair_batch:
                pick = minibatches(len(pair_list), pair_batch, epoch, seed + 1)
                chosen = pick[index % len(pick)]
                a_ids, a_mask = pad_ids([pair_list[i][0] for i in chosen])
                b_ids, b_mask = pad_ids([pair_list[i][1] for i in chosen])
                a = _unit(_mean_rows(table, a_ids, a_mask))
                b = _unit(_mean_rows(table, b_ids, b_mask))
                logits = (a @ b.T) * scale
                loss = loss + softmax_cross_entropy(logits, np.arange(len(chosen))) * pair_weight
            return loss

        task = TensorTask(optimizer, loss_fn, n_batches, work=batch_size)
        trainer = Trainer(task, epochs=epochs, schedule=LinearDecay(lr, lr / 10), seed=seed,
                          events=events, progress=progress, desc="distil static tokens",
                          unit="texts")
        result = trainer.fit()
        self.table = table.data
        return {"texts": len(seqs), "pairs": len(pair_list), "epochs": epochs,
                "seconds": round(result.seconds, 2), "final_loss": result.loss}


def tokens_to_ids(texts: Sequence[str], tokenize: Callable[[str], list[str]],
                  index: dict[str, int]) -> list[list[int]]:
    """Vocabulary ids of each text's known tokens (dictionary lookups, no scans)."""
    return [[index[t] for t in tokenize(text) if t in index] for text in texts]
