"""What an item's payload stores for filtering on Milvus, so filters keep world2vec's meaning.

Why not filter on the ``payload`` JSON field directly: Milvus's JSON comparisons do not
follow our filter semantics (filters.py). Measured on Milvus Lite: ``payload["x"] == 1``
also matches ``true`` and ``payload["x"] == true`` matches ``1`` (JSON keeps booleans and
numbers apart, so must we); ``payload["x"] >= 2`` never looks inside a list, while our
payload lists match when any element does; and a field name inside a JSON path would
need an escaping Milvus does not document. So every item also stores two derived JSON
fields, written here and queried by ``expressions.py``:

* ``fx``: a list of opaque tokens (BLAKE2b digests, hex, so no quoting is ever needed):
  one per scalar a payload field offers to a filter, typed as ``value_key`` types them
  (``1`` and ``1.0`` share a token, ``true`` has its own), for eq / ne / in; and, for each
  number *inside a list*, its range tokens (below).
* ``fnum``: ``{slot(field): number}`` for every field holding one number (not a bool):
  a range over it is an ordinary comparison, the common case, cheap and indexable.

Range tokens. A number maps to a 64-bit key that sorts as the numbers do
(:func:`number_key`); the key's prefixes of 0, 4, 8, ... 64 bits (17 tokens) are stored.
A range query ``[lo, hi]`` becomes the smallest set of aligned blocks of 16^j keys that
tile it (at most 15 per level and side: ~480 tokens in the worst case), each block the
token of one prefix; a stored number lies in the range exactly when one of its tokens is
among them. Exact, with no knowledge of the data, which a stateless service needs.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Mapping
from typing import Any

from world2vec.memory.filters import is_number, scalar_values

KEY_BITS = 64
LEVEL_BITS = 4                  # each level is one hex digit of the key
LEVELS = KEY_BITS // LEVEL_BITS  # a block at level j holds 16**j keys; j = 0..LEVELS
TOP_KEY = (1 << KEY_BITS) - 1


def token(*parts: Any) -> str:
    """An opaque, quote-free token for a tuple of JSON values (96-bit BLAKE2b, hex)."""
    data = json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def slot(field: str) -> str:
    """The key of ``field`` inside ``fnum``: letters and digits only, one per field name."""
    return "f" + field.encode("utf-8", "surrogatepass").hex()


def _float(value: Any) -> float:
    try:
        return float(value) + 0.0      # + 0.0 turns -0.0 into 0.0: they are equal numbers
    except OverflowError:              # an int beyond float range: it sorts at an end
        return math.copysign(math.inf, value)


def value_token(field: str, value: Any) -> str:
    """The eq/ne/in token of one scalar of a field (typed as ``filters.value_key`` is)."""
    if isinstance(value, bool):
        return token("e", field, "b", value)
    if isinstance(value, (int, float)):
        return token("e", field, "n", repr(_float(value)))
    if isinstance(value, str):
        return token("e", field, "s", value)
    return token("e", field, "z", None)


def number_key(value: float) -> int:
    """A 64-bit unsigned key that orders finite floats as the numbers are ordered."""
    (bits,) = struct.unpack(">Q", struct.pack(">d", _float(value)))
    return (~bits & TOP_KEY) if bits >> 63 else bits | (1 << 63)


def _block_token(field: str, level: int, prefix: int) -> str:
    return token("r", field, level, prefix)


def number_tokens(field: str, value: float) -> list[str]:
    """The range tokens of one number: the blocks of every level that hold its key."""
    key = number_key(value)
    return [_block_token(field, j, key >> (LEVEL_BITS * j)) for j in range(LEVELS + 1)]


def key_bounds(low: float | None, low_inclusive: bool, high: float | None,
               high_inclusive: bool) -> tuple[int, int]:
    """The inclusive key interval of a numeric range (empty when first > second)."""
    lo = 0 if low is None else number_key(low) + (0 if low_inclusive else 1)
    hi = TOP_KEY if high is None else number_key(high) - (0 if high_inclusive else 1)
    return lo, hi


def range_tokens(field: str, lo: int, hi: int) -> list[str]:
    """Tokens of the aligned blocks that tile the key interval ``[lo, hi]`` exactly."""
    out = []
    while lo <= hi:
        level = 0
        while level < LEVELS:
            size = 1 << (LEVEL_BITS * (level + 1))
            if lo % size or lo + size - 1 > hi:
                break
            level += 1
        out.append(_block_token(field, level, lo >> (LEVEL_BITS * level)))
        lo += 1 << (LEVEL_BITS * level)
    return out


def index_fields(payload: Mapping[str, Any]) -> tuple[list[str], dict[str, float]]:
    """``(fx, fnum)`` of a payload (see the module docstring)."""
    fx: list[str] = []
    fnum: dict[str, float] = {}
    for field, value in payload.items():
        scalars = scalar_values(value)
        fx.extend(dict.fromkeys(value_token(field, s) for s in scalars))
        if is_number(value) and math.isfinite(_float(value)):
            fnum[slot(field)] = _float(value)
            continue
        for number in sorted({_float(s) for s in scalars if is_number(s)}):
            fx.extend(number_tokens(field, number))     # in a list (or past float range)
    return list(dict.fromkeys(fx)), fnum
