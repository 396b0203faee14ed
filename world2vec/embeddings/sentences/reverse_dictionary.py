"""A trained sentence encoder: the reverse dictionary of Hill et al. (2016).

Why this task: a dictionary pairs a description with the concept it describes, so
learning to map "a small domesticated carnivorous mammal with soft fur" onto the
vector of "cat" teaches the encoder to place any description where its concept
lives. The encoder is a learned-weight bag of the model's frozen unit word vectors
followed by a residual linear map (``x + x W``); targets are the frozen concept
vectors, so sentences, concepts and memories share one space. Training uses the
engine: Tensor autodiff, sampled-softmax cross-entropy over cosine scores
(the true headword against in-batch and random concepts), Adam, and the Trainer
(epochs, schedule, progress, event log).

Evaluation (:func:`rank_headwords`): rank of the true headword among all
vocabulary words for held-out definitions; top-1, top-10 and median rank are the
figures Hill et al. report.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from world2vec.embeddings.sentences.base import (
    BagOfWords,
    EmptyTextError,
    read_config,
    register_encoder,
    write_config,
)
from world2vec.embeddings.sentences.sif import sif_weights
from world2vec.embeddings.sentences.training import adam_task, pad, residual, trainable, unit, weighted_bag
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.engine.linalg import unit_rows
from world2vec.engine.losses import softmax_cross_entropy
from world2vec.engine.schedules import LinearDecay
from world2vec.engine.tensor import Tensor
from world2vec.engine.trainer import Trainer

MAX_TOKENS = 48


@register_encoder
class ReverseDictionaryEncoder:
    """Description -> concept-space vector, trained on (definition, headword) pairs."""

    kind = "reverse_dictionary"

    def __init__(self, words: WordVectors, log_weights: np.ndarray | None = None,
                 matrix: np.ndarray | None = None) -> None:
        self.words = words
        weights, oov = sif_weights(words.counts)
        self.log_weights = (np.log(weights)[:, None].astype(np.float32) if log_weights is None
                            else np.asarray(log_weights, np.float32).reshape(-1, 1))
        if len(self.log_weights) != len(words):
            raise ValueError("reverse-dictionary weights do not match the model's vocabulary")
        self.oov_log_weight = float(np.log(oov))
        self.matrix = (np.zeros((words.dim, words.dim), np.float32) if matrix is None
                       else np.asarray(matrix, np.float32))
        self._bag: BagOfWords | None = None

    # -- encoding --------------------------------------------------------------------
    def encode(self, texts: Sequence[str], batch_size: int = 1024) -> np.ndarray:
        """Unit float32 rows; ``ValueError`` names a text with no word the model knows."""
        texts = list(texts)
        if self._bag is None:  # weights change only in fit(), which resets this cache
            self._bag = BagOfWords(self.words, np.exp(self.log_weights[:, 0]),
                                   float(np.exp(self.oov_log_weight)))
        bag = self._bag
        out = np.empty((len(texts), self.words.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            x = bag.average(texts[start:start + batch_size])
            out[start:start + batch_size] = unit_rows(x + x @ self.matrix)
        return out

    # -- training --------------------------------------------------------------------
    def fit(self, pairs: Sequence[tuple[str, str]], epochs: int = 3, batch_size: int = 256,
            negatives: int = 2048, lr: float = 3e-3, scale: float = 20.0, seed: int = 1,
            events: str | None = None, progress: bool | None = True) -> dict:
        """Train on ``(definition, headword)`` pairs; pairs with an unknown headword or no
        known definition word are skipped. Returns the trainer's summary."""
        examples = _DefinitionPairs(self, pairs, negatives, scale)
        if examples.n_examples == 0:
            raise ValueError("no usable (definition, headword) pairs to train on")
        task = adam_task(examples.tensors, examples.loss, examples.n_examples, batch_size, seed)
        trainer = Trainer(task, epochs=epochs, schedule=LinearDecay(lr, lr / 10), seed=seed,
                          events=events, progress=progress, desc="train reverse dictionary",
                          unit="definitions")
        result = trainer.fit()
        self._bag = None
        return {"pairs": examples.n_examples, "epochs": epochs, "seconds": round(result.seconds, 2),
                "final_loss": result.loss}

    # -- files -----------------------------------------------------------------------
    def save(self, path: str) -> None:
        write_config(path, {"kind": self.kind, "oov_log_weight": self.oov_log_weight})
        np.save(os.path.join(path, "log_weights.npy"), self.log_weights.astype(np.float16))
        np.save(os.path.join(path, "matrix.npy"), self.matrix)

    @classmethod
    def load(cls, path: str, words: WordVectors) -> ReverseDictionaryEncoder:
        enc = cls(words, np.load(os.path.join(path, "log_weights.npy")).astype(np.float32),
                  np.load(os.path.join(path, "matrix.npy")))
        enc.oov_log_weight = float(read_config(path).get("oov_log_weight", enc.oov_log_weight))
        return enc


class _DefinitionPairs:
    """The training examples (definition word rows -> headword row) and their loss."""

    def __init__(self, encoder: ReverseDictionaryEncoder, pairs: Sequence[tuple[str, str]],
                 negatives: int, scale: float) -> None:
        words = encoder.words
        index = words.key_to_index
        tokenize = words.tokenizer.tokenize
        self.inputs: list[list[int]] = []
        targets: list[int] = []
        for text, head in pairs:
            target = index.get(head)
            if target is None:
                continue
            ids = [index[t] for t in tokenize(text) if t in index and t != head][:MAX_TOKENS]
            if ids:
                self.inputs.append(ids)
                targets.append(target)
        self.targets = np.array(targets, dtype=np.int64)
        self.unit_vectors = np.asarray(words.normed, dtype=np.float32)
        self.tensors = trainable({"log_weights": encoder.log_weights, "matrix": encoder.matrix})
        self.n_examples = len(self.targets)
        self.negatives = min(negatives, len(words))
        self.scale = scale

    def loss(self, batch: np.ndarray, rng: np.random.Generator) -> tuple[Tensor, dict]:
        ids, mask = pad([self.inputs[i] for i in batch], MAX_TOKENS)
        targets = self.targets[batch]
        noise = rng.integers(0, len(self.unit_vectors), self.negatives)
        candidates, inverse = np.unique(np.concatenate([targets, noise]), return_inverse=True)
        labels = inverse[:len(targets)]
        x = weighted_bag(self.tensors["log_weights"], self.unit_vectors, ids, mask)
        h = unit(residual(x, self.tensors["matrix"]))
        logits = (h @ Tensor(self.unit_vectors[candidates].T)) * self.scale
        loss = softmax_cross_entropy(logits, labels)
        top1 = float(np.mean(np.argmax(logits.data, axis=1) == labels))
        return loss, {"batch_top1": top1}


def rank_headwords(encode, words: WordVectors, pairs: Sequence[tuple[str, str]],
                   batch_size: int = 512) -> dict:
    """Rank of each headword among all vocabulary words for its encoded definition.

    ``encode`` maps a list of texts to unit rows. Pairs whose headword is unknown, or
    whose text has no known word, are skipped (and counted).
    """
    usable = [(t, h) for t, h in pairs if h in words]
    normed = np.asarray(words.normed, dtype=np.float32)
    ranks: list[int] = []
    skipped = len(pairs) - len(usable)
    for start in range(0, len(usable), batch_size):
        chunk = usable[start:start + batch_size]
        rows, heads = [], []
        for text, head in chunk:
            try:
                rows.append(encode([text])[0])
            except (EmptyTextError, ValueError):
                skipped += 1
                continue
            heads.append(words.index(head))
        if not rows:
            continue
        scores = unit_rows(np.vstack(rows)) @ normed.T
        true = scores[np.arange(len(heads)), heads]
        ranks.extend((scores > true[:, None]).sum(axis=1).tolist())
    r = np.array(ranks)
    if not len(r):
        return {"n": 0, "skipped": skipped, "top1": 0.0, "top10": 0.0, "top100": 0.0,
                "median_rank": None}
    return {"n": int(len(r)), "skipped": int(skipped), "top1": float(np.mean(r < 1)),
            "top10": float(np.mean(r < 10)), "top100": float(np.mean(r < 100)),
            "median_rank": float(np.median(r) + 1)}
