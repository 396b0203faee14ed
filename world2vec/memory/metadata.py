"""Per-row metadata and the indexes that turn a filter into a bitmap quickly.

Rows are append-only: an upsert writes a new row and marks the old one dead, and
rows are renumbered only when the store compacts. That keeps every posting list
append-only too, so a filter compiles with numpy set operations over posting
lists (kind -> rows, tag -> rows, payload value -> rows, payload field -> numeric
column) instead of a Python loop over every item.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from world2vec.memory.filters import Filter, is_number, scalar_values, value_key


class GrowArray:
    """An append-only numpy array with cheap appends.

    Appends go to a Python list (tens of nanoseconds) and are moved into the numpy
    buffer by :meth:`flush`, which the store calls once per write batch while it
    holds the exclusive lock; readers only ever call :meth:`view`.
    """

    __slots__ = ("_buf", "size", "pending")

    def __init__(self, dtype: Any, capacity: int = 16) -> None:
        self._buf = np.empty(max(capacity, 16), dtype=dtype)
        self.size = 0
        self.pending: list = []

    def _reserve(self, extra: int) -> None:
        need = self.size + extra
        if need > self._buf.shape[0]:
            new = np.empty(max(need, 2 * self._buf.shape[0]), dtype=self._buf.dtype)
            new[: self.size] = self._buf[: self.size]
            self._buf = new

    def append(self, value: Any) -> None:
        self.pending.append(value)

    def extend(self, values: Any) -> None:
        self.pending.extend(values)

    def flush(self) -> None:
        if self.pending:
            values = np.asarray(self.pending, dtype=self._buf.dtype)
            self._reserve(values.shape[0])
            self._buf[self.size: self.size + values.shape[0]] = values
            self.size += values.shape[0]
            self.pending = []

    def view(self) -> np.ndarray:
        return self._buf[: self.size]

    def __len__(self) -> int:
        return self.size + len(self.pending)


class RowTable:
    """Items by row: columns for reading results back, and indexes for filtering."""

    def __init__(self) -> None:
        self.ids: list[str | None] = []
        self.kinds: list[str] = []
        self.texts: list[str | None] = []
        self.tags: list[list[str]] = []
        self.payloads: list[dict] = []
        self.answers: list[str | None] = []
        self.created: list[float] = []
        self.live = GrowArray(np.bool_)
        self.row_of: dict[str, int] = {}
        self.kind_code: dict[str, int] = {}
        self.kind_rows = GrowArray(np.int32)
        self.tag_rows: dict[str, GrowArray] = {}
        self.eq_rows: dict[str, dict[tuple, GrowArray]] = {}
        self.num_rows: dict[str, GrowArray] = {}
        self.num_vals: dict[str, GrowArray] = {}
        self.dead = 0
        self._dirty: set[int] = set()
        self._dirty_arrays: list[GrowArray] = []

    def _touch(self, array: GrowArray) -> None:
        if id(array) not in self._dirty:
            self._dirty.add(id(array))
            self._dirty_arrays.append(array)

    def flush(self) -> None:
        """Move pending appends into numpy (call under the exclusive lock, after a batch)."""
        self.live.flush()
        self.kind_rows.flush()
        for array in self._dirty_arrays:
            array.flush()
        self._dirty.clear()
        self._dirty_arrays.clear()

    def __len__(self) -> int:
        return len(self.row_of)

    @property
    def nrows(self) -> int:
        return len(self.ids)

    def append(self, item_id: str, kind: str, text: str | None, tags: list[str], payload: dict,
               answer: str | None, created: float) -> int:
        """Add one row (the caller has already marked any older row of this id dead)."""
        row = len(self.ids)
        self.ids.append(item_id)
        self.kinds.append(kind)
        self.texts.append(text)
        self.tags.append(tags)
        self.payloads.append(payload)
        self.answers.append(answer)
        self.created.append(created)
        self.live.append(True)
        self.row_of[item_id] = row
        code = self.kind_code.setdefault(kind, len(self.kind_code))
        self.kind_rows.append(code)
        for tag in tags:
            rows = self.tag_rows.get(tag)
            if rows is None:
                rows = self.tag_rows[tag] = GrowArray(np.int64)
            rows.append(row)
            self._touch(rows)
        for name, value in payload.items():
            scalars = scalar_values(value)
            eq = self.eq_rows.setdefault(name, {})
            for key in {value_key(s) for s in scalars}:
                rows = eq.get(key)
                if rows is None:
                    rows = eq[key] = GrowArray(np.int64)
                rows.append(row)
                self._touch(rows)
            for number in scalars:
                if is_number(number):
                    if name not in self.num_rows:
                        self.num_rows[name] = GrowArray(np.int64)
                        self.num_vals[name] = GrowArray(np.float64)
                    self.num_rows[name].append(row)
                    self.num_vals[name].append(float(number))
                    self._touch(self.num_rows[name])
                    self._touch(self.num_vals[name])
        return row

    def kill(self, item_id: str) -> int | None:
        """Mark an id's row dead; returns the row, or None if the id is not stored."""
        row = self.row_of.pop(item_id, None)
        if row is not None:
            if row >= self.live.size:
                self.live.flush()
            self.live.view()[row] = False
            self.dead += 1
        return row

    # -- filters ------------------------------------------------------------------
    def _rows_mask(self, rows: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.nrows, dtype=bool)
        mask[rows] = True
        return mask

    def compile(self, flt: Filter) -> np.ndarray:
        """The live rows that pass ``flt``, as a boolean mask over all rows.

        ``or`` and ``not`` compile their filters the same way (recursively) and combine
        the masks: an ``or`` is the union of its filters' masks, a ``not`` the live rows
        outside its filter's mask, each and-ed with the rest of the filter.
        """
        mask = self._compile_clauses(flt)
        if flt.any_of and mask.any():
            union = np.zeros(self.nrows, dtype=bool)
            for alternative in flt.any_of:
                union |= self.compile(alternative)
            mask &= union
        elif flt.any_of:
            return mask
        if flt.negated is not None and mask.any():
            mask &= ~self.compile(flt.negated)
        return mask

    def _compile_clauses(self, flt: Filter) -> np.ndarray:
        """The live rows passing ``flt``'s own kind, tags and payload clauses."""
        n = self.nrows
        mask = self.live.view().copy()
        if flt.kinds is not None:
            codes = [self.kind_code[k] for k in flt.kinds if k in self.kind_code]
            if not codes:
                return np.zeros(n, dtype=bool)
            mask &= np.isin(self.kind_rows.view(), codes) if len(codes) > 1 \
                else self.kind_rows.view() == codes[0]
        for tag in flt.tags_all:
            rows = self.tag_rows.get(tag)
            if rows is None:
                return np.zeros(n, dtype=bool)
            mask &= self._rows_mask(rows.view())
        if flt.tags_any:
            anymask = np.zeros(n, dtype=bool)
            for tag in flt.tags_any:
                rows = self.tag_rows.get(tag)
                if rows is not None:
                    anymask[rows.view()] = True
            mask &= anymask
        for tag in flt.tags_none:
            rows = self.tag_rows.get(tag)
            if rows is not None:
                mask[rows.view()] = False
        for clause in flt.payload:
            if clause.op == "range":
                rows = self.num_rows.get(clause.field)
                if rows is None:
                    return np.zeros(n, dtype=bool)
                vals = self.num_vals[clause.field].view()
                ok = np.ones(vals.shape[0], dtype=bool)
                if clause.low is not None:
                    ok &= vals >= clause.low if clause.low_inclusive else vals > clause.low
                if clause.high is not None:
                    ok &= vals <= clause.high if clause.high_inclusive else vals < clause.high
                mask &= self._rows_mask(rows.view()[ok])
                continue
            postings = self.eq_rows.get(clause.field, {})
            hit = np.zeros(n, dtype=bool)
            for value in clause.values:
                rows = postings.get(value_key(value))
                if rows is not None:
                    hit[rows.view()] = True
            if clause.op == "ne":
                mask &= ~hit
            else:
                mask &= hit
        return mask
