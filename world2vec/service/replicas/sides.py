"""One bound collection's new side while a switch on a shared Milvus runs: how it is
copied, filled and caught up.

The embedded switch's per-item rule is reused whole (``reencode.items_for``: texts the
served model encoded are encoded again, vector-only items and the caller's own vectors
kept), and so is its way of finding what changed between two copies
(``reencode.changes_between``). What differs is how writes are seen: on a shared Milvus
other replicas write too, and no wrapper in this process sees their writes, so every
catch-up compares two copies of the live collection (read by scrolling it in id order,
with the vectors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from world2vec.memory.milvus import MilvusCollection, MilvusStore
from world2vec.service.models.bound import StoreCopy
from world2vec.service.models.reencode import (
    COLUMNS,
    ReencodeCounts,
    changes_between,
    copy_of,
    items_for,
)

BATCH = 1000
PAGE = 10_000


def scrolled_copy(store: Any) -> StoreCopy:
    """Every item of ``store`` with its vector, read page by page in id order."""
    items, cursor = [], None
    while True:
        page, cursor = store.scroll(limit=PAGE, cursor=cursor, with_vectors=True)
        items += page
        if cursor is None:
            break
    if not items:
        return empty_copy(int(store.dim))
    return copy_of(items)


def empty_copy(dim: int) -> StoreCopy:
    return StoreCopy(np.zeros((0, dim), np.float32), {c: [] for c in ("ids", *COLUMNS)})


@dataclass(eq=False)
class Side:
    """Collection ``live`` (as served when the switch began) and its new Milvus
    collection, ``store``, filled from ``copy`` (the live items it was last caught up to)."""

    live: MilvusCollection
    store: MilvusStore
    copy: StoreCopy
    counts: ReencodeCounts

    @property
    def name(self) -> str:
        return self.live.name

    @property
    def identity(self) -> tuple[str, float | None]:
        """What tells this collection from one removed and made anew under its name."""
        return self.live.store.collection, self.live.created_at

    def fill(self, old_model: Any, new_model: Any, progress: Any = None) -> None:
        """Write every item of ``copy`` into the new collection, re-encoded."""
        for start in range(0, len(self.copy), BATCH):
            rows = list(range(start, min(start + BATCH, len(self.copy))))
            self.store.upsert(items_for(self.copy, rows, old_model, new_model, self.counts))
            if progress is not None:
                progress(len(rows))

    def catch_up(self, old_model: Any, new_model: Any, guarded: bool = False) -> int:
        """Copy the live collection again and apply to the new one what changed since
        the last copy. ``guarded`` (after the commit, when writes reach the new side
        too): an item is changed only where the new side still holds what the switch
        wrote, so a later write there is never undone by an earlier one here."""
        latest = scrolled_copy(self.live.store)
        changed, deleted = changes_between(self.copy, latest)
        if guarded:
            position = {item_id: r for r, item_id in enumerate(self.copy.meta["ids"])}
            changed = [r for r in changed if self._untouched(latest.meta["ids"][r], position)]
            deleted = [i for i in deleted if self._untouched(i, position)]
        if deleted:
            self.store.delete_many(deleted)
        for start in range(0, len(changed), BATCH):
            self.store.upsert(items_for(latest, changed[start:start + BATCH], old_model,
                                        new_model, self.counts))
        self.copy = latest
        return len(changed) + len(deleted)

    def _untouched(self, item_id: str, positions: dict[str, int]) -> bool:
        row = positions.get(item_id)
        now = self.store.get(item_id)
        if row is None:
            return now is None
        return now is not None and all(
            getattr(now, attribute) == self.copy.meta[column][row]
            for attribute, column in (("kind", "kinds"), ("text", "texts"), ("answer", "answers"),
                                      ("payload", "payloads"), ("created_at", "created")))
