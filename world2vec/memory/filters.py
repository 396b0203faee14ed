"""The filter language of DESIGN.md, parsed once into a :class:`Filter`.

``{"kind": "fact" | ["fact", "qa"],
   "tags": {"all": [...], "any": [...], "none": [...]},
   "payload": {"field": value | {"eq"|"ne"|"in"|"gt"|"gte"|"lt"|"lte": ...}},
   "or": [filter, ...], "not": filter}``

Every clause must hold (AND); ``or`` holds when any of its filters does, ``not`` when
its filter does not, and both nest (an ``or`` of ``not``s of filters with ``or``s).
A payload value that is a list matches when any of its elements does, as in most
document stores. ``True`` is not ``1``: JSON keeps
booleans and numbers apart and so do we. Parsing is strict (unknown keys, wrong
types, empty ranges are errors), because a silently ignored clause returns the
wrong memories without anyone noticing.

The store compiles a Filter against its metadata indexes into a bitmap of rows
(see ``metadata.py``) that becomes a FAISS ``IDSelectorBitmap``; ``matches`` is the
plain-Python definition of the same semantics, used for checking and by tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from world2vec.memory.errors import ValidationError

RANGE_OPS = ("gt", "gte", "lt", "lte")
PAYLOAD_OPS = frozenset(("eq", "ne", "in") + RANGE_OPS)


@dataclass(frozen=True, eq=False)
class PayloadClause:
    """One test on one payload field. ``op`` is eq, ne, in or range; ``values``
    holds the scalars for eq/ne/in; ``low``/``high`` the bounds for a range.

    Equality and hashing follow the filter's semantics (``value_key``), not Python's:
    ``1 == True`` in Python, but ``{"x": 1}`` and ``{"x": true}`` select different
    items, and compiled filters are cached by clause, so the two must not collide.
    """

    field: str
    op: str
    values: tuple = ()
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True

    def _key(self) -> tuple:
        return (self.field, self.op, tuple(value_key(v) for v in self.values),
                self.low, self.low_inclusive, self.high, self.high_inclusive)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PayloadClause) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


@dataclass(frozen=True)
class Filter:
    kinds: tuple[str, ...] | None = None
    tags_all: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    tags_none: tuple[str, ...] = ()
    payload: tuple[PayloadClause, ...] = field(default_factory=tuple)
    any_of: tuple[Filter, ...] = ()       # {"or": [...]}: at least one must hold
    negated: Filter | None = None         # {"not": {...}}: must not hold

    @property
    def is_empty(self) -> bool:
        return (self.kinds is None and not self.tags_all and not self.tags_any
                and not self.tags_none and not self.payload and not self.any_of
                and self.negated is None)

    def matches(self, kind: str, tags: list[str], payload: Mapping[str, Any]) -> bool:
        """Whether an item passes: the reference semantics the compiled bitmap must equal."""
        if self.kinds is not None and kind not in self.kinds:
            return False
        tagset = set(tags)
        if not all(t in tagset for t in self.tags_all):
            return False
        if self.tags_any and not any(t in tagset for t in self.tags_any):
            return False
        if any(t in tagset for t in self.tags_none):
            return False
        for clause in self.payload:
            present = clause.field in payload
            scalars = scalar_values(payload[clause.field]) if present else []
            if clause.op == "ne":
                if any(value_key(s) in {value_key(v) for v in clause.values} for s in scalars):
                    return False
                continue
            if clause.op in ("eq", "in"):
                wanted = {value_key(v) for v in clause.values}
                if not any(value_key(s) in wanted for s in scalars):
                    return False
                continue
            if not any(_in_range(clause, s) for s in scalars if is_number(s)):
                return False
        if self.any_of and not any(f.matches(kind, tags, payload) for f in self.any_of):
            return False
        return self.negated is None or not self.negated.matches(kind, tags, payload)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def scalar_values(value: Any) -> list:
    """The scalars a payload value offers to a filter: itself, or a list's scalar elements."""
    if isinstance(value, list):
        return [v for v in value if v is None or isinstance(v, (str, int, float, bool))]
    if value is None or isinstance(value, (str, int, float, bool)):
        return [value]
    return []


def value_key(value: Any) -> tuple:
    """A hashable key under which equal JSON scalars collide (1 == 1.0, True != 1)."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", float(value))
    if isinstance(value, str):
        return ("s", value)
    return ("z", None)


def _in_range(clause: PayloadClause, x: float) -> bool:
    if clause.low is not None and (x < clause.low or (x == clause.low and not clause.low_inclusive)):
        return False
    return not (clause.high is not None
                and (x > clause.high or (x == clause.high and not clause.high_inclusive)))


def _strings(value: Any, what: str, one_allowed: bool = False) -> tuple[str, ...]:
    """A list of non-empty strings. Only ``kind`` may be a bare string (DESIGN.md:
    ``"kind": "fact" | [...]``); a bare string for a tag list is refused, since
    ``{"all": "ab"}`` is far more likely a mistake than a one-tag list."""
    if one_allowed and isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        got = "a string" if isinstance(value, str) else type(value).__name__
        raise ValidationError(f"filter: {what} must be a list of non-empty strings, got {got}")
    return tuple(dict.fromkeys(value))


def _scalar(value: Any, what: str) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise ValidationError(f"filter: {what} must be a string, number, boolean or null")


def _bound(value: Any, what: str) -> float:
    if not is_number(value) or not math.isfinite(value):
        raise ValidationError(f"filter: {what} must be a finite number")
    return float(value)


def _parse_payload_clause(name: str, spec: Any) -> PayloadClause:
    if not isinstance(spec, dict):
        return PayloadClause(name, "eq", (_scalar(spec, f"payload.{name}"),))
    if not spec:
        raise ValidationError(f"filter: payload.{name} has an empty condition")
    unknown = sorted(set(spec) - PAYLOAD_OPS)
    if unknown:
        raise ValidationError(f"filter: payload.{name}: unknown operator(s) {unknown}; "
                              f"use eq, ne, in, gt, gte, lt, lte")
    ranged = [op for op in RANGE_OPS if op in spec]
    kinds = [bool(ranged), "eq" in spec, "ne" in spec, "in" in spec]
    if sum(kinds) > 1:
        raise ValidationError(f"filter: payload.{name}: use one kind of condition per field "
                              f"(eq, ne, in, or a range)")
    if "eq" in spec:
        return PayloadClause(name, "eq", (_scalar(spec["eq"], f"payload.{name}.eq"),))
    if "ne" in spec:
        return PayloadClause(name, "ne", (_scalar(spec["ne"], f"payload.{name}.ne"),))
    if "in" in spec:
        values = spec["in"]
        if not isinstance(values, list) or not values:
            raise ValidationError(f"filter: payload.{name}.in must be a non-empty list")
        return PayloadClause(name, "in", tuple(_scalar(v, f"payload.{name}.in") for v in values))
    if "gt" in spec and "gte" in spec or "lt" in spec and "lte" in spec:
        raise ValidationError(f"filter: payload.{name}: give at most one lower and one upper bound")
    low = high = None
    low_inc = high_inc = True
    if "gt" in spec or "gte" in spec:
        op = "gt" if "gt" in spec else "gte"
        low, low_inc = _bound(spec[op], f"payload.{name}.{op}"), op == "gte"
    if "lt" in spec or "lte" in spec:
        op = "lt" if "lt" in spec else "lte"
        high, high_inc = _bound(spec[op], f"payload.{name}.{op}"), op == "lte"
    return PayloadClause(name, "range", (), low, low_inc, high, high_inc)


MAX_DEPTH = 16    # or/not nesting: deep enough for any real query, bounded against abuse


def parse_filter(obj: Any, *, depth: int = 0) -> Filter:
    """Parse DESIGN.md's filter object; ``None`` or ``{}`` is the empty filter.

    Raises :class:`ValidationError` with a message naming the bad clause. ``depth`` is
    how deep inside ``or``/``not`` this filter sits (the parser's own recursion).
    """
    if obj is None:
        return Filter()
    if isinstance(obj, Filter):
        return obj
    if not isinstance(obj, dict):
        raise ValidationError("filter must be a JSON object")
    unknown = sorted(set(obj) - {"kind", "tags", "payload", "or", "not"})
    if unknown:
        raise ValidationError(f"filter: unknown key(s) {unknown}; use kind, tags, payload, "
                              f"or, not")
    if depth >= MAX_DEPTH:
        raise ValidationError(f"filter: 'or'/'not' nested deeper than {MAX_DEPTH} levels")
    kinds = (_strings(obj["kind"], "kind", one_allowed=True)
             if "kind" in obj and obj["kind"] is not None else None)
    if kinds is not None and not kinds:
        raise ValidationError("filter: kind must name at least one kind")
    tags = obj.get("tags") or {}
    if not isinstance(tags, dict):
        raise ValidationError('filter: tags must be an object such as {"all": ["a"]}')
    unknown = sorted(set(tags) - {"all", "any", "none"})
    if unknown:
        raise ValidationError(f"filter: tags: unknown key(s) {unknown}; use all, any, none")
    payload = obj.get("payload") or {}
    if not isinstance(payload, dict):
        raise ValidationError("filter: payload must be an object of field conditions")
    clauses = tuple(_parse_payload_clause(name, spec) for name, spec in payload.items())
    any_of: tuple[Filter, ...] = ()
    if "or" in obj:
        alternatives = obj["or"]
        if not isinstance(alternatives, list) or not alternatives:
            raise ValidationError("filter: 'or' must be a non-empty list of filters")
        if not all(isinstance(f, dict) for f in alternatives):
            raise ValidationError("filter: each entry of 'or' must be a filter object")
        any_of = tuple(parse_filter(f, depth=depth + 1) for f in alternatives)
    negated = None
    if "not" in obj:
        if not isinstance(obj["not"], dict):
            raise ValidationError("filter: 'not' must be a filter object")
        negated = parse_filter(obj["not"], depth=depth + 1)
    return Filter(
        kinds=kinds,
        tags_all=_strings(tags.get("all", []), "tags.all"),
        tags_any=_strings(tags.get("any", []), "tags.any"),
        tags_none=_strings(tags.get("none", []), "tags.none"),
        payload=clauses,
        any_of=any_of,
        negated=negated,
    )
