"""Checking the arguments of the in-process API as the client and the service check them.

Why two kinds of refusal: what the client refuses before sending (one id where a list
is due, neither ``ids`` nor ``filter``) is a plain ``ValueError`` there, so it is one
here; what the client sends and the service refuses is a :class:`BadRequest` with the
service's wording (``service/params.py``, ``service/collections/search.py``), so code
and tests that match on either read the same whichever side they run against. What
the memory layer checks itself (filters, items, limits) it checks here too:
:func:`~world2vec.api.errors.memory_errors` words its refusals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from world2vec.api.errors import BadRequest

MAX_K = 1000          # the service's default bounds (DESIGN.md), so both refuse the same calls
MAX_HOPS = 10
MAX_PAGE = 10_000     # most items in one scroll page
MAX_OFFSET = 10_000
MAX_QUERIES = 1_000   # most queries in one search_batch


def json_type(value: Any) -> str:
    """JSON's name for a value's type, as the service's error messages say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    return "array" if isinstance(value, (list, tuple, np.ndarray)) else type(value).__name__


def check_bound(name: str, value: Any, upper: int, lower: int = 1) -> int:
    """An integer parameter from ``lower`` to ``upper`` (``k``, ``hops``, ``limit``...)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not lower <= int(value) <= upper:
        raise BadRequest(f"'{name}' must be from {lower} to {upper}, got {value!r}", param=name,
                         slug="out-of-range")
    return int(value)


def one_of(**given: Any) -> str:
    """The name of the one argument given (the client refuses none or several)."""
    names = [name for name, value in given.items() if value is not None]
    if len(names) != 1:
        raise ValueError(f"give exactly one of {', '.join(given)}")
    return names[0]


def check_id(item_id: Any, what: str = "id") -> str:
    """An id or a name that the client would put in a URL."""
    if not isinstance(item_id, str) or not item_id:
        raise ValueError(f"{what} must be a non-empty string")
    return item_id


def id_list(ids: Any, what: str = "ids") -> list[str]:
    """A list of ids; one bare string is refused (it would be read as its characters)."""
    if isinstance(ids, (str, bytes)):
        raise ValueError(f"{what} must be a list of ids, not one string")
    out = list(ids)
    if not all(isinstance(i, str) and i for i in out):
        raise ValueError(f"{what} must be non-empty strings")
    return out


def check_filter(flt: Any) -> dict | None:
    """A filter is an object (its contents are the memory layer's to check)."""
    if flt is not None and not isinstance(flt, Mapping):
        raise BadRequest(f"'filter' must be an object, got {json_type(flt)}", param="filter")
    return None if flt is None else dict(flt)


def check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise BadRequest(f"'{name}' must be true or false, got {json_type(value)}", param=name)
    return bool(value)


def search_options(score_threshold: Any, offset: Any, with_vectors: Any) -> dict[str, Any]:
    """``score_threshold``, ``offset`` and ``with_vectors`` as keyword arguments of the
    store's search, each checked as the service checks them."""
    if score_threshold is not None and (
            isinstance(score_threshold, bool)
            or not isinstance(score_threshold, (int, float, np.integer, np.floating))
            or not math.isfinite(score_threshold)):
        raise BadRequest(f"'score_threshold' must be a number, got {json_type(score_threshold)}",
                         param="score_threshold")
    return {"score_threshold": None if score_threshold is None else float(score_threshold),
            "offset": check_bound("offset", 0 if offset is None else offset, MAX_OFFSET, 0),
            "with_vectors": check_flag("with_vectors", with_vectors)}


def check_vector(value: Any, dim: int, what: str = "vector") -> np.ndarray:
    """A query vector: numbers of the collection's dimension, finite, not all zeros."""
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise BadRequest(f"'{what}' must be a list of numbers", param=what) from None
    if arr.ndim != 1 or not np.issubdtype(np.asarray(value).dtype, np.number):
        raise BadRequest(f"'{what}' must be a list of numbers", param=what)
    if arr.shape[0] != dim:
        raise BadRequest(f"'{what}' has dimension {arr.shape[0]}, the model's is {dim}",
                         param=what, slug="wrong-dimension")
    if not np.all(np.isfinite(arr)):
        raise BadRequest(f"'{what}' contains NaN or inf", param=what, slug="non-finite-number")
    if not np.any(arr):
        raise BadRequest(f"'{what}' is all zeros (it has no direction to compare)", param=what)
    return arr
