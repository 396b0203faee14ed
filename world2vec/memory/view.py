"""What one read sees: the store's state as a frozen :class:`ReadView`, and the
compiled filter masks that reads share.

The store hands a view to the search functions (``searching.py``) and to the index
builder (``builder.py``) while it holds its read lock, so neither needs the store
itself: they depend on this module and the store depends on them, one direction
only. A view holds references, never copies -- ``vectors`` is the exact index's
own storage -- which is why it is valid only while the read lock that produced it
is held (see ``MemoryStore``'s lock contract). The store builds one and lends it to
every read until the next write drops it, so taking a view costs a search nothing.

A compiled filter (row mask, count, packed bitmap) is cached per filter until the
next write: a service sees the same few filters again and again, and compiling one
over a million rows costs milliseconds, more than the HNSW search it feeds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import faiss
import numpy as np

from world2vec.memory.filters import Filter
from world2vec.memory.indexes import AnnState, IndexConfig, new_flat
from world2vec.memory.items import Item
from world2vec.memory.metadata import RowTable

CACHE_SIZE = 32
SUBSET_BYTES = 8 << 20       # a cached filter may keep a contiguous copy of its rows up to this


@dataclass
class RowMask:
    """Rows a query may return: ``mask`` over all rows, their count, FAISS bitmap.

    A cached mask used a second time with few enough rows keeps a small exact index
    of just its rows (``subset``): the same filter then costs a scan of the eligible
    vectors only, contiguous in memory, with exact results.
    """

    mask: np.ndarray
    eligible: int
    _bits: np.ndarray | None = field(default=None, repr=False)
    uses: int = 0
    _subset: tuple | None = field(default=None, repr=False)

    def subset(self, vectors: np.ndarray, metric: str = "cosine") -> tuple | None:
        self.uses += 1
        if self._subset is None and self.uses >= 2 \
                and self.eligible * vectors.shape[1] * 4 <= SUBSET_BYTES:
            rows = np.flatnonzero(self.mask)
            index = new_flat(vectors.shape[1], metric)
            index.add(np.ascontiguousarray(vectors[rows]))
            self._subset = (index, rows)
        return self._subset

    @property
    def bits(self) -> np.ndarray:
        if self._bits is None:
            self._bits = np.packbits(self.mask, bitorder="little")
        return self._bits

    def selector(self) -> faiss.IDSelectorBitmap:
        return faiss.IDSelectorBitmap(self.mask.shape[0], faiss.swig_ptr(self.bits))


class MaskCache:
    """Compiled filters of the current store version (cleared by any write).

    Readers share it under the store's *read* lock, so it has a small lock of its
    own for its dictionary; compiling a mask happens outside that lock.
    """

    def __init__(self) -> None:
        self._entries: dict[Filter, RowMask] = {}
        self._version = -1
        self._lock = threading.Lock()

    def get(self, table: RowTable, flt: Filter, version: int) -> RowMask:
        """The compiled mask of ``flt`` over ``table`` as of ``version``."""
        with self._lock:
            if self._version != version:
                self._entries.clear()
                self._version = version
            entry = self._entries.get(flt)
        if entry is None:
            mask = table.compile(flt)
            entry = RowMask(mask, int(np.count_nonzero(mask)))
            with self._lock:
                if self._version == version:
                    if len(self._entries) >= CACHE_SIZE:
                        self._entries.pop(next(iter(self._entries)))
                    self._entries[flt] = entry
        return entry


def stored_vectors(flat: faiss.IndexFlat) -> np.ndarray:
    """A zero-copy ``(ntotal, d)`` view of an exact index's storage: valid only until
    the index next grows (an add may move it), so only under the store's read lock."""
    n, dim = flat.ntotal, flat.d
    if n == 0:
        return np.empty((0, dim), dtype=np.float32)
    return faiss.rev_swig_ptr(flat.get_xb(), n * dim).reshape(n, dim)


@dataclass(frozen=True, slots=True)
class ReadView:
    """The store as reads see it, taken under the read lock and valid only there.

    ``flat`` is the exact index (row r = the item's row), ``vectors`` a zero-copy
    ``(flat.ntotal, dim)`` view of its storage, ``table`` the row metadata, ``ann``
    the approximate index in service, ``config`` the index settings, ``masks`` the
    compiled-filter cache, ``version`` the write count it is keyed by and ``metric``
    how vectors compare (``indexes.METRICS``).
    """

    table: RowTable
    flat: faiss.IndexFlat
    vectors: np.ndarray
    ann: AnnState
    config: IndexConfig
    masks: MaskCache
    version: int
    metric: str = "cosine"

    def item(self, row: int, with_vector: bool = False) -> Item:
        """The item of a row; its vector copied out only ``with_vector``.

        Tags and payload are shallow copies, so a caller editing a result cannot edit
        the store (they cost ~0.1 us; the vector copy is what a search result skips).
        """
        t = self.table
        return Item(t.ids[row], t.kinds[row], t.texts[row],
                    self.vectors[row].copy() if with_vector else None, list(t.tags[row]),
                    dict(t.payloads[row]), t.answers[row], t.created[row])
