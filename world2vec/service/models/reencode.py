"""Turning a store's items into items of another model: the per-row rule of a switch.

The rule, per item:

* it has a text, and its stored vector is the served model's encoding of that text:
  encoded again by the new model;
* it has no text (a vector brought by the caller), or its vector is not the model's
  encoding of its text (the caller sent both, and the vector wins, as DESIGN.md says):
  kept as it is; it stays in the old model's space, which is the best anyone can do
  without the caller's encoder (docs/MODELS.md);
* its text has no word the new model can encode: kept as it is, and counted.

A kept vector needs the new model to have the old one's dimension; otherwise the
switch fails, naming how many items are in the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from world2vec.memory import Item
from world2vec.service.models.bound import StoreCopy
from world2vec.service.models.jobs import JobFailure

SAME_VECTOR = 0.999       # cosine at which a stored vector is "the model's encoding"
COLUMNS = ("kinds", "texts", "tags", "payloads", "answers", "created")


@dataclass
class ReencodeCounts:
    reencoded: int = 0
    vector_only: int = 0          # no text
    own_vector: int = 0           # a text, and a vector that is not the model's encoding
    unencodable: int = 0          # a text the new model cannot encode

    def to_json(self) -> dict:
        return {"reencoded": self.reencoded, "vector_only": self.vector_only,
                "own_vector": self.own_vector, "unencodable": self.unencodable}


def _encode(model: Any, texts: list[str]) -> list[np.ndarray | None]:
    """Each text's unit vector, or None for a text the model cannot encode."""
    if not texts:
        return []
    try:
        return list(np.asarray(model.encode_texts(texts), dtype=np.float32))
    except (ValueError, KeyError):
        out: list[np.ndarray | None] = []
        for text in texts:
            try:
                out.append(np.asarray(model.encode_texts([text]), dtype=np.float32)[0])
            except (ValueError, KeyError):
                out.append(None)
        return out


def items_for(copy: StoreCopy, rows: list[int], old_model: Any, new_model: Any,
              counts: ReencodeCounts) -> list[Item]:
    """The items of ``rows`` of ``copy`` with vectors for ``new_model`` (see the rule)."""
    meta, vectors = copy.meta, copy.vectors
    texts = meta["texts"]
    with_text = [r for r in rows if texts[r] and texts[r].strip()]
    old = _encode(old_model, [texts[r] for r in with_text])
    from_model = [r for r, v in zip(with_text, old)
                  if v is not None and float(v @ vectors[r]) >= SAME_VECTOR]
    new = dict(zip(from_model, _encode(new_model, [texts[r] for r in from_model])))
    items = []
    for r in rows:
        vector = new.get(r)
        if vector is not None:
            counts.reencoded += 1
        else:
            if r in new:
                counts.unencodable += 1
            elif texts[r] and texts[r].strip():
                counts.own_vector += 1
            else:
                counts.vector_only += 1
            vector = np.asarray(vectors[r], dtype=np.float32)
            if vector.shape[0] != new_model.dim:
                raise JobFailure(f"item {meta['ids'][r]!r} keeps its own vector (dimension "
                                 f"{vector.shape[0]}), which cannot be stored beside model "
                                 f"{new_model.name!r}'s vectors (dimension {new_model.dim})")
        items.append(Item(id=meta["ids"][r], kind=meta["kinds"][r], text=texts[r],
                          vector=vector, tags=list(meta["tags"][r]),
                          payload=dict(meta["payloads"][r]), answer=meta["answers"][r],
                          created_at=float(meta["created"][r])))
    return items


def copy_of(items: list[Item]) -> StoreCopy:
    """Items read one by one (``store.get``) as a :class:`StoreCopy`."""
    meta = {"ids": [it.id for it in items], "kinds": [it.kind for it in items],
            "texts": [it.text for it in items], "tags": [list(it.tags) for it in items],
            "payloads": [it.payload for it in items], "answers": [it.answer for it in items],
            "created": [it.created_at for it in items]}
    dim = items[0].vector.shape[0] if items else 0
    vectors = (np.vstack([it.vector for it in items]).astype(np.float32) if items
               else np.zeros((0, dim), np.float32))
    return StoreCopy(vectors, meta)


def changes_between(before: StoreCopy, after: StoreCopy) -> tuple[list[int], list[str]]:
    """What was written between two copies of one store: the rows of ``after`` that are
    new or changed (any field, or the vector), and the ids deleted."""
    b_meta, a_meta = before.meta, after.meta
    position = {item_id: i for i, item_id in enumerate(b_meta["ids"])}
    changed, common_a, common_b = [], [], []
    for j, item_id in enumerate(a_meta["ids"]):
        i = position.pop(item_id, None)
        if i is None or any(b_meta[c][i] != a_meta[c][j] for c in COLUMNS):
            changed.append(j)
        else:
            common_a.append(j)
            common_b.append(i)
    if common_a:
        moved = np.any(np.asarray(after.vectors[common_a]) != np.asarray(before.vectors[common_b]),
                       axis=1)
        changed += [common_a[k] for k in np.flatnonzero(moved).tolist()]
    return sorted(changed), list(position)
