"""What a metadata patch makes of a stored item: the rule, and the checks of its parts.

A patch changes an item's metadata and keeps its vector: ``payload`` is merged into
the stored payload (the keys given replace theirs, the others stay; a key given as
null is stored as null), ``tags``, ``kind`` and ``answer`` replace what was there.
The store writes the result as an ordinary put record with the stored vector, so a
patch is logged, replayed and snapshotted like every write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from world2vec.memory.errors import ValidationError
from world2vec.memory.items import Item


def patched(item: Item, payload: Mapping[str, Any] | None = None,
            tags: Sequence[str] | None = None, kind: str | None = None,
            answer: str | None = None) -> Item:
    """``item`` with the patch applied (checked as an item from JSON is); the vector and
    ``created_at`` are ``item``'s own."""
    if payload is None and tags is None and kind is None and answer is None:
        raise ValidationError("a patch needs at least one of payload, tags, kind or answer")
    if payload is not None and not isinstance(payload, Mapping):
        raise ValidationError("patch: 'payload' must be a JSON object")
    fields: dict[str, Any] = {
        "id": item.id, "kind": item.kind if kind is None else kind, "text": item.text,
        "tags": list(item.tags) if tags is None else tags,
        "payload": {**item.payload, **payload} if payload is not None else dict(item.payload),
        "answer": item.answer if answer is None else answer, "created_at": item.created_at}
    if fields["text"] is None:
        del fields["text"]
    if fields["answer"] is None:
        del fields["answer"]
    checked = Item.from_dict(fields)
    checked.vector = item.vector
    return checked
