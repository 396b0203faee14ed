"""World2vec filters as Milvus boolean expressions, and the quoting of strings in them.

A filter (DESIGN.md's language: kind, tags all/any/none, payload conditions, and the
nestable ``{"or": [...]}`` / ``{"not": ...}``) becomes one expression string that Milvus
evaluates inside its search, query, count and delete, so a filtered search is filtered
*in* the engine (k hits whenever k items match), never by over-fetching. Payload
conditions go through the derived fields of ``filterkeys.py`` (see why there).

Every atom is *definite* -- true or false, never Milvus's "unknown": a comparison on a
JSON key an item lacks is unknown, and ``not unknown`` is unknown, so ``not {"payload":
{"n": {"gte": 1}}}`` would drop the items without ``n``. Comparisons are therefore guarded
by ``exists`` (false and unknown is false). The hypothesis test in
tests/memory/test_milvus_filters.py checks the translation against ``Filter.matches``.

Strings. Milvus string literals are double-quoted; Milvus Lite accepts the escapes
``\\\\ \\" \\n \\r \\t`` and no others (``\\u``, ``\\x`` and octal are refused), and any
other character as itself (a raw newline or carriage return is refused). :func:`quote`
escapes exactly those five and nothing else, which a Milvus server's parser reads the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from world2vec.memory.errors import ValidationError
from world2vec.memory.filters import Filter, PayloadClause, parse_filter
from world2vec.memory.milvus.filterkeys import key_bounds, range_tokens, slot, value_token

MAX_DEPTH = 16             # or/not nesting, as the embedded store's parser bounds it
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
TRUE, FALSE = "true", "false"


def quote(text: str) -> str:
    """``text`` as a Milvus string literal (see the module docstring)."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in text) + '"'


def string_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"


def number(value: float) -> str:
    """A float literal Milvus parses (``repr`` gives e.g. ``1e+300``, ``0.5``, ``-2.0``)."""
    return repr(float(value))


@dataclass(frozen=True)
class FilterTree:
    """A parsed filter with its ``or`` alternatives and its ``not``.

    Why a tree of our own: the embedded store's :class:`Filter` gains ``any_of`` and
    ``negated`` for or/not (read here when present); until then the dict form is parsed
    here, the and-ed keys by ``parse_filter``, so both backends accept the same filters.
    """

    base: Filter
    any_of: tuple[FilterTree, ...] = ()
    negated: FilterTree | None = None

    def matches(self, kind: str, tags: list[str], payload: Mapping[str, Any]) -> bool:
        """The reference semantics (``Filter.matches`` for the and-ed keys)."""
        if not self.base.matches(kind, tags, payload):
            return False
        if self.any_of and not any(f.matches(kind, tags, payload) for f in self.any_of):
            return False
        return self.negated is None or not self.negated.matches(kind, tags, payload)


def parse_tree(obj: Any, depth: int = 0) -> FilterTree:
    """Parse a filter (None, a dict, a :class:`Filter` or a :class:`FilterTree`)."""
    if isinstance(obj, FilterTree):
        return obj
    if isinstance(obj, Filter):
        return _from_filter(obj)
    if obj is None:
        return FilterTree(Filter())
    if not isinstance(obj, dict):
        raise ValidationError("filter must be a JSON object")
    if depth >= MAX_DEPTH and ("or" in obj or "not" in obj):
        raise ValidationError(f"filter: 'or'/'not' nested deeper than {MAX_DEPTH} levels")
    base = parse_filter({k: v for k, v in obj.items() if k not in ("or", "not")})
    any_of: tuple[FilterTree, ...] = ()
    if "or" in obj:
        alternatives = obj["or"]
        if not isinstance(alternatives, list) or not alternatives:
            raise ValidationError("filter: 'or' must be a non-empty list of filters")
        if not all(isinstance(f, dict) for f in alternatives):
            raise ValidationError("filter: each entry of 'or' must be a filter object")
        any_of = tuple(parse_tree(f, depth + 1) for f in alternatives)
    negated = None
    if "not" in obj:
        if not isinstance(obj["not"], dict):
            raise ValidationError("filter: 'not' must be a filter object")
        negated = parse_tree(obj["not"], depth + 1)
    return FilterTree(base, any_of, negated)


def _from_filter(flt: Filter) -> FilterTree:
    any_of = tuple(_from_filter(f) for f in getattr(flt, "any_of", ()) or ())
    negated = getattr(flt, "negated", None)
    return FilterTree(flt, any_of, None if negated is None else _from_filter(negated))


def filter_expression(obj: Any) -> str:
    """The Milvus expression of a filter; ``""`` when it lets every item through."""
    expr = _tree(parse_tree(obj))
    return "" if expr == TRUE else expr


def _tree(tree: FilterTree) -> str:
    parts = _base(tree.base)
    if tree.any_of:
        parts.append(_any([_tree(f) for f in tree.any_of]))
    if tree.negated is not None:
        parts.append(_not(_tree(tree.negated)))
    return _all(parts)


def _all(parts: list[str]) -> str:
    if FALSE in parts:
        return FALSE
    parts = [p for p in parts if p != TRUE]
    if not parts:
        return TRUE
    return parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)


def _any(parts: list[str]) -> str:
    if TRUE in parts:
        return TRUE
    parts = [p for p in parts if p != FALSE]
    if not parts:
        return FALSE
    return parts[0] if len(parts) == 1 else " or ".join(f"({p})" for p in parts)


def _not(part: str) -> str:
    return {TRUE: FALSE, FALSE: TRUE}.get(part, f"not ({part})")


def _base(flt: Filter) -> list[str]:
    parts = []
    if flt.kinds is not None:
        parts.append(f"kind in {string_list(flt.kinds)}")
    if flt.tags_all:
        parts.append(f"json_contains_all(tags, {string_list(flt.tags_all)})")
    if flt.tags_any:
        parts.append(f"json_contains_any(tags, {string_list(flt.tags_any)})")
    if flt.tags_none:
        parts.append(f"not json_contains_any(tags, {string_list(flt.tags_none)})")
    parts.extend(_payload(clause) for clause in flt.payload)
    return parts


def _contains_any(tokens: list[str]) -> str:
    return f"json_contains_any(fx, {string_list(tokens)})" if tokens else FALSE


def _payload(clause: PayloadClause) -> str:
    if clause.op in ("eq", "in", "ne"):
        tokens = list(dict.fromkeys(value_token(clause.field, v) for v in clause.values))
        found = _contains_any(tokens)
        return _not(found) if clause.op == "ne" else found
    lo, hi = key_bounds(clause.low, clause.low_inclusive, clause.high, clause.high_inclusive)
    if lo > hi:
        return FALSE
    path = f'fnum["{slot(clause.field)}"]'
    compare = [f"exists {path}"]
    if clause.low is not None:
        compare.append(f"{path} {'>=' if clause.low_inclusive else '>'} {number(clause.low)}")
    if clause.high is not None:
        compare.append(f"{path} {'<=' if clause.high_inclusive else '<'} {number(clause.high)}")
    return _any([_all(compare), _contains_any(range_tokens(clause.field, lo, hi))])
