"""Calling the server in JSON or msgpack, as a client program would."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import numpy as np
import requests

MSGPACK = "application/msgpack"


def _pack_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return np.ascontiguousarray(obj, dtype="<f4").tobytes()
    raise TypeError(type(obj).__name__)


def call(url: str, method: str, path: str, fmt: str = "json", body: Any = None,
         params: dict | None = None, headers: dict | None = None) -> tuple[requests.Response, Any]:
    """Send a request; returns the response and its decoded body."""
    hdrs = dict(headers or {})
    data = None
    if fmt == "msgpack":
        hdrs["Accept"] = MSGPACK
        if body is not None:
            hdrs["Content-Type"] = MSGPACK
            data = msgpack.packb(body, default=_pack_default, use_bin_type=True)
    elif body is not None:
        hdrs["Content-Type"] = "application/json"
        data = json.dumps(body, default=lambda a: a.tolist())
    resp = requests.request(method, url + path, params=params, data=data, headers=hdrs, timeout=30)
    ctype = resp.headers.get("Content-Type", "").split(";")[0]
    if ctype == MSGPACK:
        decoded = msgpack.unpackb(resp.content, raw=False)
    elif ctype.endswith("json"):
        decoded = resp.json()
    else:
        decoded = resp.text
    return resp, decoded


def as_vectors(value: Any) -> np.ndarray:
    """Vectors from either wire form: lists of numbers, or float32 bins."""
    if isinstance(value, (bytes, bytearray)):
        return np.frombuffer(value, dtype="<f4")
    if value and isinstance(value[0], (bytes, bytearray)):
        return np.stack([np.frombuffer(v, dtype="<f4") for v in value])
    return np.asarray(value, dtype=np.float32)
