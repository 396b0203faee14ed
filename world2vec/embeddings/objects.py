"""Object encoder: an object described by features and relations, embedded StarSpace-style.

An object arrives as JSON::

    {"id": "cat", "features": ["fur", "whiskers"], "relations": [["is_a", "feline"]]}

Why StarSpace (Wu et al., 2018): an entity is the (weighted) sum of its feature
embeddings, trained with a margin ranking loss against k sampled negatives so that
an entity lands next to the concepts it belongs with. Here every feature word and
every relation target is a frozen unit concept vector (a relation adds a learned
offset per relation type, as in TransE); learned per-feature weights and a residual
linear map refine the sum. Trained objects are pulled toward the concepts they
relate to (and toward their own concept when the id is a known word), so a new
object joins memory from its description alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from world2vec.embeddings.sentences.sif import sif_weights
from world2vec.embeddings.sentences.training import adam_task, pad, residual, trainable, unit
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.engine.linalg import unit_rows
from world2vec.engine.losses import margin_ranking_loss
from world2vec.engine.ops import concatenate
from world2vec.engine.schedules import LinearDecay
from world2vec.engine.tensor import Tensor
from world2vec.engine.trainer import Trainer

MAX_PARTS = 64
#: Common spellings of relation names, folded to one learned offset each.
RELATION_ALIASES = {"isa": "is_a", "is-a": "is_a", "hypernym": "is_a", "instance_of": "is_a",
                    "instance_hypernym": "is_a", "type": "is_a", "part_holonym": "part_of",
                    "member_holonym": "member_of", "substance_holonym": "made_of",
                    "part_meronym": "has_part", "member_meronym": "has_member"}


class ObjectError(ValueError):
    """An object that is not ``{"id"?, "features": [...], "relations": [[rel, target]]}``.

    ``position`` is the object's place in the list encoded (None when the list itself
    is wrong) and ``problem`` the message without the "object 3 ('tom'):" that starts
    it, so a caller that numbers objects its own way can point at one without parsing.
    """

    def __init__(self, message: str, position: int | None = None,
                 object_id: str | None = None, problem: str | None = None) -> None:
        super().__init__(message)
        self.position = position
        self.object_id = object_id
        self.problem = problem or message


class UnknownObjectError(ObjectError):
    """A well-formed object with nothing the model can build a vector from.

    A subclass of :class:`ObjectError` so callers that catch that keep working; a
    service tells it apart because it is the object's *content* the model does not
    know (as with an unknown concept), not its shape.
    """


OBJECT_FIELDS = frozenset({"id", "features", "relations"})


def _relation_name(name: str) -> str:
    key = name.strip().lower().replace(" ", "_")
    return RELATION_ALIASES.get(key, key)


def check_object(obj: Any, position: int = 0) -> None:
    """Refuse an object that is not of the documented shape, naming what is wrong.

    Unknown fields are refused (a typo such as ``"feature"`` would otherwise encode an
    object with half its description missing), and so are empty strings.
    """
    if not isinstance(obj, dict):
        raise ObjectError(f"object {position} must be a JSON object, got {type(obj).__name__}",
                          position)
    object_id = obj.get("id")

    def fail(problem: str) -> ObjectError:
        known = object_id if isinstance(object_id, str) else None
        where = f"object {position}" + (f" ({known!r})" if known else "")
        return ObjectError(f"{where}: {problem}", position, known, problem)

    unknown = sorted(set(obj) - OBJECT_FIELDS)
    if unknown:
        raise fail(f"unknown field(s) {', '.join(map(repr, unknown))}; expected some of "
                   f"{', '.join(sorted(OBJECT_FIELDS))}")
    if object_id is not None and not isinstance(object_id, str):
        raise fail("'id' must be a string")
    features = obj.get("features", [])
    relations = obj.get("relations", [])
    if not isinstance(features, list) or not all(isinstance(f, str) and f.strip()
                                                 for f in features):
        raise fail("'features' must be a list of non-empty strings")
    if not isinstance(relations, list) or not all(
            isinstance(r, (list, tuple)) and len(r) == 2
            and all(isinstance(x, str) and x.strip() for x in r) for r in relations):
        raise fail("'relations' must be a list of [relation, target] pairs of non-empty "
                   "strings")
    if not features and not relations:
        raise fail("give 'features' or 'relations' (or both)")


class ObjectEncoder:
    """Features + relations -> unit vector in the concept space."""

    def __init__(self, words: WordVectors, relation_names: Sequence[str] = (),
                 offsets: np.ndarray | None = None, log_weights: np.ndarray | None = None,
                 matrix: np.ndarray | None = None) -> None:
        self.words = words
        self.relation_names = list(relation_names)
        self.offsets = (np.zeros((len(self.relation_names), words.dim), np.float32)
                        if offsets is None else np.asarray(offsets, np.float32))
        weights, _ = sif_weights(words.counts)
        self.log_weights = (np.log(weights)[:, None].astype(np.float32) if log_weights is None
                            else np.asarray(log_weights, np.float32).reshape(-1, 1))
        self.matrix = (np.zeros((words.dim, words.dim), np.float32) if matrix is None
                       else np.asarray(matrix, np.float32))

    # -- parsing ---------------------------------------------------------------------
    def parts(self, obj: Any, position: int = 0) -> tuple[list[int], list[int], list[np.ndarray]]:
        """(word rows, relation index per row or -1, synthesized vectors for unseen words).

        An unseen feature word or relation target is synthesized from its subwords, as
        an unseen concept is (a relation target's vector then carries its relation's
        offset); one with nothing to build from is left out. An object left with no part
        at all raises :class:`UnknownObjectError`.
        """
        check_object(obj, position)
        rows: list[int] = []
        rels: list[int] = []
        synthesized: list[np.ndarray] = []
        index = self.words.key_to_index
        for feature in obj.get("features", []):
            key = self.words.tokenizer.normalize(feature)
            tokens = [key] if key in index else self.words.tokenizer.tokenize(feature)
            known, synth = self.words.token_rows(tokens)
            rows += known
            rels += [-1] * len(known)
            synthesized += synth
        for relation, target in obj.get("relations", []):
            name = _relation_name(relation)
            rel = self.relation_names.index(name) if name in self.relation_names else -1
            key = self.words.tokenizer.normalize(target)
            if key in index:
                rows.append(index[key])
                rels.append(rel)
                continue
            try:
                vector = self.words.vector(target)[0]
            except KeyError:
                continue
            synthesized.append(vector + self.offsets[rel] if rel >= 0 else vector)
        if not rows and not synthesized:
            object_id = obj.get("id")
            problem = "has no feature or relation target the model knows"
            raise UnknownObjectError(
                f"object {position}" + (f" ({object_id!r})" if object_id else "") + f" {problem}",
                position, object_id, problem)
        return rows[:MAX_PARTS], rels[:MAX_PARTS], synthesized[:MAX_PARTS]

    def encode(self, objects: Sequence[dict[str, Any]]) -> np.ndarray:
        """Unit float32 rows, one per object; ``ObjectError`` (a ValueError) names a bad one."""
        if not isinstance(objects, (list, tuple)):
            raise ObjectError(f"encode_objects takes a list of objects, got "
                              f"{type(objects).__name__}")
        normed = self.words.normed
        weights = np.exp(self.log_weights[:, 0])
        out = np.empty((len(objects), self.words.dim), dtype=np.float32)
        for i, obj in enumerate(objects):
            rows, rels, synth = self.parts(obj, i)
            vecs = [normed[r] + (self.offsets[k] if k >= 0 else 0.0) for r, k in zip(rows, rels)]
            w = [float(weights[r]) for r in rows]
            vecs += synth
            w += [float(weights.max())] * len(synth)
            w_arr = np.array(w, dtype=np.float32)
            x = (w_arr[:, None] * np.vstack(vecs)).sum(axis=0) / w_arr.sum()
            out[i] = x + x @ self.matrix
        return unit_rows(out)

    # -- training --------------------------------------------------------------------
    def fit(self, objects: Sequence[dict[str, Any]], epochs: int = 5, batch_size: int = 128,
            negatives: int = 10, margin: float = 0.2, lr: float = 5e-3, seed: int = 1,
            events: str | None = None, progress: bool | None = True) -> dict:
        """Train on objects whose relation targets (and id, if a known concept) are the
        positives; ``negatives`` random concepts per object are ranked below them."""
        names = sorted({_relation_name(r[0]) for o in objects for r in o.get("relations", [])})
        new = [n for n in names if n not in self.relation_names]
        if new:
            self.relation_names += new
            self.offsets = np.vstack([self.offsets, np.zeros((len(new), self.words.dim),
                                                             np.float32)])
        examples = _RelatedObjects(self, objects, negatives, margin)
        if examples.n_examples == 0:
            raise ValueError("no usable objects to train on (need known features and targets)")
        task = adam_task(examples.tensors, examples.loss, examples.n_examples, batch_size, seed)
        trainer = Trainer(task, epochs=epochs, schedule=LinearDecay(lr, lr / 10), seed=seed,
                          events=events, progress=progress, desc="train objects", unit="objects")
        result = trainer.fit()
        return {"objects": examples.n_examples, "seconds": round(result.seconds, 2),
                "final_loss": result.loss}

    # -- files -----------------------------------------------------------------------
    def save(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "config.json"), "w", encoding="utf-8") as f:
            json.dump({"kind": "starspace", "relations": self.relation_names}, f, indent=2)
        np.save(os.path.join(path, "offsets.npy"), self.offsets)
        np.save(os.path.join(path, "log_weights.npy"), self.log_weights.astype(np.float16))
        np.save(os.path.join(path, "matrix.npy"), self.matrix)

    @classmethod
    def load(cls, path: str, words: WordVectors) -> ObjectEncoder:
        with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        return cls(words, config.get("relations", []), np.load(os.path.join(path, "offsets.npy")),
                   np.load(os.path.join(path, "log_weights.npy")).astype(np.float32),
                   np.load(os.path.join(path, "matrix.npy")))


class _RelatedObjects:
    """The training examples (an object's parts -> the concepts it relates to) and their
    ranking loss."""

    def __init__(self, encoder: ObjectEncoder, objects: Sequence[dict[str, Any]],
                 negatives: int, margin: float) -> None:
        index = encoder.words.key_to_index
        self.rows: list[list[int]] = []
        self.rels: list[list[int]] = []
        self.positives: list[list[int]] = []
        for i, obj in enumerate(objects):
            try:
                rows, rels, _ = encoder.parts(obj, i)
            except ObjectError:
                continue
            pos = [r for r, k in zip(rows, rels) if k >= 0]
            own = index.get(encoder.words.tokenizer.normalize(str(obj.get("id", ""))))
            if own is not None:
                pos.append(own)
            if pos:
                self.rows.append(rows)
                self.rels.append(rels)
                self.positives.append(pos)
        self.unit_vectors = np.asarray(encoder.words.normed, dtype=np.float32)
        self.tensors = trainable({"offsets": encoder.offsets, "log_weights": encoder.log_weights,
                                  "matrix": encoder.matrix})
        self.n_examples = len(self.rows)
        self.negatives = negatives
        self.margin = margin

    def loss(self, batch: np.ndarray, rng: np.random.Generator) -> tuple[Tensor, dict]:
        ids, mask = pad([self.rows[i] for i in batch], MAX_PARTS)
        rel, _ = pad([[k + 1 for k in self.rels[i]] for i in batch], MAX_PARTS)  # 0: none
        offsets = self.tensors["offsets"]
        zero = Tensor(np.zeros((1, offsets.shape[1]), np.float32))
        table = concatenate([zero, offsets], axis=0)                         # (R+1, d)
        w = self.tensors["log_weights"].embed(ids).exp() * mask[..., None]  # (B, L, 1)
        parts = Tensor(self.unit_vectors[ids]) + table.embed(rel)            # (B, L, d)
        x = (w * parts).sum(axis=1) / (w.sum(axis=1) + 1e-8)
        h = unit(residual(x, self.tensors["matrix"]))
        pos = np.array([self.positives[i][rng.integers(len(self.positives[i]))] for i in batch])
        neg = rng.integers(0, len(self.unit_vectors), (len(batch), self.negatives))
        pos_scores = (h * Tensor(self.unit_vectors[pos])).sum(axis=1, keepdims=True)
        neg_scores = (h.reshape(len(batch), 1, -1) * Tensor(self.unit_vectors[neg])).sum(axis=2)
        return margin_ranking_loss(pos_scores, neg_scores, margin=self.margin), {}
