"""Strict reading of query-string and body parameters.

Why strict: DESIGN.md promises that a value of the wrong type or out of range is a
400 naming the parameter, never silently coerced - ``k=ten``, ``"k": "10"``,
``"k": true`` and ``"k": 2.5`` are all mistakes the caller should hear about.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from world2vec.service.codec import type_name
from world2vec.service.errors import BadRequest

_INT_RE = re.compile(r"^[+-]?\d{1,12}$")
MAX_QUERY_TEXT = 10_000


def query_int(args: Mapping[str, str], name: str, default: int | None, lo: int, hi: int) -> int:
    """An integer query parameter in ``lo..hi``; missing gives ``default`` (or a 400)."""
    raw = args.get(name)
    if raw is None or raw == "":
        if default is None:
            raise BadRequest(f"missing parameter '{name}'", param=name, slug="missing-parameter")
        return default
    if not _INT_RE.match(raw.strip()):
        raise BadRequest(f"'{name}' must be an integer from {lo} to {hi}, got {raw!r}", param=name)
    return _in_range(name, int(raw), lo, hi)


def query_bool(args: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    low = raw.strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off"}:
        return False
    raise BadRequest(f"'{name}' must be true or false, got {raw!r}", param=name)


def query_str(args: Mapping[str, str], name: str, required: bool = False,
              choices: tuple[str, ...] | None = None, default: str | None = None) -> str | None:
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        if required:
            raise BadRequest(f"missing parameter '{name}'", param=name, slug="missing-parameter")
        return default
    if len(raw) > MAX_QUERY_TEXT:
        raise BadRequest(f"'{name}' is longer than {MAX_QUERY_TEXT} characters", param=name)
    if choices is not None and raw not in choices:
        raise BadRequest(f"'{name}' must be one of {', '.join(choices)}, got {raw!r}", param=name)
    return raw


def query_json_object(args: Mapping[str, str], name: str) -> dict | None:
    """A JSON object passed in one query parameter (``filter={"kind": "fact"}``)."""
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, RecursionError, ValueError):
        raise BadRequest(f"'{name}' must be a JSON object, got {raw[:80]!r}", param=name) from None
    if not isinstance(value, dict):
        raise BadRequest(f"'{name}' must be a JSON object, got {type_name(value)}", param=name)
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


def body_int(body: Mapping[str, Any], name: str, default: int | None, lo: int, hi: int) -> int:
    """An integer body field (a JSON number with no fraction; never a string or a boolean)."""
    if name not in body or body[name] is None:
        if default is None:
            raise BadRequest(f"missing field '{name}'", param=name, slug="missing-parameter")
        return default
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"'{name}' must be an integer from {lo} to {hi}, got {type_name(value)} "
                         f"{_short(value)}", param=name)
    return _in_range(name, value, lo, hi)


def body_float(body: Mapping[str, Any], name: str, default: float, lo: float, hi: float) -> float:
    if name not in body or body[name] is None:
        return default
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"'{name}' must be a number from {lo} to {hi}, got {type_name(value)}",
                         param=name)
    if not lo <= value <= hi:
        raise BadRequest(f"'{name}' must be from {lo} to {hi}, got {value}", param=name)
    return float(value)


def body_str(body: Mapping[str, Any], name: str, required: bool = False,
             max_len: int = MAX_QUERY_TEXT) -> str | None:
    if name not in body or body[name] is None:
        if required:
            raise BadRequest(f"missing field '{name}'", param=name, slug="missing-parameter")
        return None
    value = body[name]
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string, got {type_name(value)}", param=name)
    if not value.strip():
        raise BadRequest(f"'{name}' must not be empty", param=name)
    if len(value) > max_len:
        raise BadRequest(f"'{name}' is longer than {max_len} characters", param=name)
    return value


def body_str_list(body: Mapping[str, Any], name: str, max_items: int, required: bool = False,
                  allow_empty: bool = False) -> list[str] | None:
    """A list of non-empty strings, bounded in count (the batch limit)."""
    if name not in body or body[name] is None:
        if required:
            raise BadRequest(f"missing field '{name}'", param=name, slug="missing-parameter")
        return None
    value = body[name]
    if not isinstance(value, list):
        raise BadRequest(f"'{name}' must be a list of strings, got {type_name(value)}", param=name)
    if not value and not allow_empty:
        raise BadRequest(f"'{name}' must not be empty", param=name)
    if len(value) > max_items:
        raise BadRequest(f"'{name}' has {len(value)} entries; at most {max_items} per request",
                         param=name, slug="batch-too-large")
    for position, entry in enumerate(value):
        if not isinstance(entry, str) or not entry.strip():
            raise BadRequest(f"'{name}[{position}]' must be a non-empty string, got "
                             f"{type_name(entry)}", param=name, position=position)
        if len(entry) > MAX_QUERY_TEXT:
            raise BadRequest(f"'{name}[{position}]' is longer than {MAX_QUERY_TEXT} characters",
                             param=name, position=position)
    return value


def body_choice(body: Mapping[str, Any], name: str, choices: tuple[str, ...]) -> str | None:
    """One of ``choices`` (absent or null: None, for the caller's default)."""
    if name not in body or body[name] is None:
        return None
    value = body[name]
    if not isinstance(value, str) or value not in choices:
        raise BadRequest(f"'{name}' must be one of {', '.join(choices)}, got "
                         f"{type_name(value)} {_short(value)}", param=name)
    return value


def body_list(body: Mapping[str, Any], name: str, max_items: int) -> list | None:
    """A non-empty list bounded in count (its entries are the caller's to check)."""
    if name not in body or body[name] is None:
        return None
    value = body[name]
    if not isinstance(value, list):
        raise BadRequest(f"'{name}' must be a list, got {type_name(value)}", param=name)
    if not value:
        raise BadRequest(f"'{name}' must not be empty", param=name)
    if len(value) > max_items:
        raise BadRequest(f"'{name}' has {len(value)} entries; at most {max_items} per request",
                         param=name, slug="batch-too-large")
    return value


def check_known_fields(body: Mapping[str, Any], allowed: set[str]) -> None:
    """Refuse unknown body fields, so a typo (``"tex"``) is reported, not ignored."""
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f"unknown field(s) {', '.join(map(repr, unknown))}; expected some of "
                         f"{', '.join(sorted(allowed))}", param=unknown[0], slug="unknown-field")


def _in_range(name: str, value: int, lo: int, hi: int) -> int:
    if not lo <= value <= hi:
        raise BadRequest(f"'{name}' must be from {lo} to {hi}, got {value}", param=name,
                         slug="out-of-range")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
