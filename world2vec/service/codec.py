"""JSON and msgpack on the wire, with vectors as raw float32 in msgpack.

Why: JSON is what people type and read; msgpack is what programs that move many
vectors want - a 100-dim vector is 400 bytes as a msgpack ``bin`` of little-endian
float32 against ~2 KB as JSON text, and decoding it is a memcpy. The rule is one
rule everywhere: *wherever JSON carries a vector as a list of numbers, msgpack
carries a bin of little-endian float32* (a list of vectors is a list of bins).
Requests in msgpack may use either form.

Non-finite numbers are refused on the way in (JSON ``NaN``/``Infinity`` literals
included): they would poison a FAISS index or a similarity score.
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgpack
import numpy as np
from flask import Request, Response, current_app
from werkzeug.exceptions import RequestEntityTooLarge

from world2vec.service.errors import ApiError, BadRequest

JSON = "application/json"
MSGPACK = "application/msgpack"
# Bodies read as JSON: curl -d sends form-urlencoded unless told otherwise, and a
# refusal there would only teach users to add a header; the body must still parse.
JSON_LIKE = {"", JSON, "text/json", "text/plain", "application/x-www-form-urlencoded"}
MSGPACK_ALIASES = {"application/msgpack", "application/x-msgpack", "application/vnd.msgpack"}


def _is_msgpack(mimetype: str | None) -> bool:
    return (mimetype or "").lower() in MSGPACK_ALIASES


def _reject_constant(name: str) -> Any:
    raise BadRequest(f"the JSON body contains {name}, which is not a finite number",
                     slug="non-finite-number")


def decode_body(request: Request) -> dict:
    """The request body as a dict (JSON or msgpack by Content-Type); 400/415 otherwise.

    An empty body is an empty object, so ``POST /search`` with no body reports the
    missing parameter by name instead of a parse error.
    """
    raw = _read_body(request)
    mimetype = request.mimetype
    if not raw:
        return {}
    if _is_msgpack(mimetype):
        try:
            obj = msgpack.unpackb(raw, raw=False, strict_map_key=True, use_list=True)
        except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError,
                msgpack.StackError, UnicodeDecodeError) as exc:
            raise BadRequest(f"the body is not valid msgpack: {type(exc).__name__}: {exc}"[:300],
                             slug="malformed-body") from None
        _check_finite(obj)
    elif mimetype in JSON_LIKE or mimetype.endswith("+json"):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("the JSON body is not valid UTF-8", slug="malformed-body") from None
        try:
            obj = json.loads(text, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"the body is not valid JSON: {exc}", slug="malformed-body") from None
        except RecursionError:
            raise BadRequest("the JSON body is nested too deeply", slug="malformed-body") from None
    else:
        raise ApiError(415, f"unsupported Content-Type {mimetype!r}; send {JSON} or {MSGPACK}")
    if not isinstance(obj, dict):
        raise BadRequest(f"the body must be an object, got {type_name(obj)}", slug="malformed-body")
    return obj


def _read_body(request: Request) -> bytes:
    """The raw body, 413 past the configured limit - also for chunked uploads.

    Werkzeug refuses a declared Content-Length over the limit, but a chunked body
    (no Content-Length) is silently cut at the limit, which would turn into a
    misleading "malformed JSON"; so such a body is read here, one byte past the limit.
    """
    if request.content_length is not None:
        return request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return b""
    chunks, size = [], 0
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            raise RequestEntityTooLarge(f"the body is larger than {limit // (1024 * 1024)} MiB")
    return b"".join(chunks)


def _check_finite(obj: Any, depth: int = 0) -> None:
    """Refuse NaN/inf floats anywhere in a decoded msgpack document."""
    if depth > 64:
        raise BadRequest("the msgpack body is nested too deeply", slug="malformed-body")
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise BadRequest("the msgpack body contains a non-finite number (NaN or inf)",
                             slug="non-finite-number")
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, (list, dict, float)):
                _check_finite(v, depth + 1)
    elif isinstance(obj, dict):
        for v in obj.values():
            if isinstance(v, (list, dict, float)):
                _check_finite(v, depth + 1)


def wants_msgpack(request: Request) -> bool:
    """Answer in msgpack when Accept names it (at least as high as JSON), or when the
    request body was msgpack and Accept does not name JSON."""
    environ = request.environ       # read directly: a missing header costs Headers an exception
    accept = environ.get("HTTP_ACCEPT", "")
    if not accept or accept == "*/*" or accept == JSON:  # the common cases, decided cheaply
        return (accept != JSON and bool(environ.get("CONTENT_TYPE"))
                and _is_msgpack(request.mimetype))
    explicit = {value.lower(): q for value, q in request.accept_mimetypes}
    q_msgpack = max(explicit.get(m, 0) for m in MSGPACK_ALIASES)
    q_json = explicit.get(JSON, 0)
    if q_msgpack > 0 and q_msgpack >= q_json:
        return True
    if q_json > 0:
        return False
    return _is_msgpack(request.mimetype)


def _json_default(obj: Any) -> Any:
    """numpy values for the C JSON encoder (called only for types it does not know)."""
    if isinstance(obj, np.ndarray):
        return obj.astype(np.float64).tolist() if obj.dtype.kind == "f" else obj.tolist()
    return _numpy_scalar(obj)


def _numpy_scalar(obj: Any) -> Any:
    """A numpy scalar as the Python number both encoders know; TypeError for anything else."""
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    raise TypeError(f"cannot encode {type(obj).__name__}")


def _msgpack_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f":
            arr = np.ascontiguousarray(obj, dtype="<f4")
            if arr.ndim == 1:
                return arr.tobytes()
            return [row.tobytes() for row in arr.reshape(arr.shape[0], -1)]
        return obj.tolist()
    if isinstance(obj, tuple):
        return list(obj)
    return _numpy_scalar(obj)


# One encoder for every answer: json.dumps with options builds a new one per call.
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_json_default)


def encode(obj: Any, msgpack_out: bool, status: int = 200) -> Response:
    """Serialise an answer; numpy float arrays become vectors (lists or float32 bins)."""
    if msgpack_out:
        body = msgpack.packb(obj, default=_msgpack_default, use_bin_type=True)
        return Response(body, status=status, mimetype=MSGPACK)
    return Response(_JSON_ENCODER.encode(obj), status=status, mimetype=JSON)


def vector_from_wire(value: Any, dim: int, what: str = "vector") -> np.ndarray:
    """A vector from a request: a list of numbers, or (msgpack) a bin of float32 LE.

    Checks type, dimension and finiteness; returns float32 (not normalized).
    """
    if isinstance(value, (bytes, bytearray)):
        if len(value) % 4:
            raise BadRequest(f"'{what}' as bytes must hold float32 values (a multiple of 4 bytes)",
                             param=what)
        arr = np.frombuffer(bytes(value), dtype="<f4").astype(np.float32)
    elif isinstance(value, list):
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
            raise BadRequest(f"'{what}' must be a list of numbers", param=what)
        arr = np.asarray(value, dtype=np.float64)
        if arr.size and np.max(np.abs(arr)) > np.finfo(np.float32).max:
            raise BadRequest(f"'{what}' has a value too large for float32", param=what)
        arr = arr.astype(np.float32)
    else:
        raise BadRequest(f"'{what}' must be a list of numbers, got {type_name(value)}", param=what)
    if arr.shape[0] != dim:
        raise BadRequest(f"'{what}' has dimension {arr.shape[0]}, the model's is {dim}",
                         param=what, slug="wrong-dimension")
    if not np.all(np.isfinite(arr)):
        raise BadRequest(f"'{what}' contains NaN or inf", param=what, slug="non-finite-number")
    if not np.any(arr):
        raise BadRequest(f"'{what}' is all zeros (it has no direction to compare)", param=what)
    return arr


def type_name(value: Any) -> str:
    """JSON's name for a Python value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (bytes, bytearray)):
        return "bytes"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
