"""The wire, without any I/O: bodies in JSON or msgpack, answers decoded by their
Content-Type, errors built from problem+json, and arguments checked before they leave.

Both transports (requests and httpx) use these functions, so a JSON answer, a msgpack
vector or a proxy's HTML error page reads the same whichever client received it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import msgpack
import numpy as np

from world2vec_client.errors import DecodeError, World2vecError, error_for_status
from world2vec_client.models import Item

JSON = "application/json"
MSGPACK = "application/msgpack"
FORMATS = ("json", "msgpack")


def default_user_agent() -> str:
    """``world2vec-client/<version>``, so a server's logs say which client sent what."""
    from world2vec_client import __version__  # here, not at the top: the package imports us
    return f"world2vec-client/{__version__}"


def base_headers(fmt: str, api_key: str | None, user_agent: str) -> dict[str, str]:
    """Headers every request carries: who we are, what we read, the key if any."""
    headers = {"User-Agent": user_agent,
               "Accept": f"{MSGPACK}, {JSON};q=0.5" if fmt == "msgpack" else JSON}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot send a {type(obj).__name__} as JSON")


def _msgpack_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f":
            return np.ascontiguousarray(obj, dtype="<f4").tobytes()
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot send a {type(obj).__name__} as msgpack")


def encode_body(fmt: str, body: Any) -> tuple[bytes, str]:
    """The request body in ``fmt`` ("json" or "msgpack") and its content type; float
    arrays go as raw little-endian float32 in msgpack, as lists in JSON."""
    if fmt == "msgpack":
        return msgpack.packb(body, default=_msgpack_default, use_bin_type=True), MSGPACK
    try:
        text = json.dumps(body, default=_json_default, allow_nan=False)
    except ValueError as exc:
        raise ValueError("request holds NaN or infinity, which JSON cannot carry; "
                         "check the vectors you send") from exc
    return text.encode("utf-8"), JSON


def decode_body(content_type: str | None, raw: bytes, *, url: str, status: int) -> Any:
    """Decode an answer by its Content-Type (JSON, problem+json, msgpack or text)."""
    full = (content_type or "").lower()
    ctype = full.split(";")[0].strip()
    if not raw:
        return None
    try:
        if ctype == MSGPACK or ctype.endswith("+msgpack"):
            return msgpack.unpackb(raw, raw=False, strict_map_key=False)
        if ctype == JSON or ctype.endswith("+json"):
            return json.loads(raw)
        if ctype.startswith("text/"):
            charset = full.split("charset=", 1)[1].split(";")[0].strip() if "charset=" in full \
                else "utf-8"
            return raw.decode(charset or "utf-8", errors="replace")
    except (ValueError, LookupError, msgpack.UnpackException) as exc:
        raise DecodeError(f"could not decode the {ctype} answer from {url}: {exc}",
                          status=status) from exc
    raise DecodeError(f"unexpected content type {ctype or '(none)'} from {url}", status=status)


def error_from_answer(status: int, content_type: str | None, raw: bytes, url: str
                      ) -> World2vecError:
    """The typed exception for an error answer: from its problem+json when there is one,
    else from the first line of whatever text came back (a proxy's HTML page)."""
    try:
        problem = decode_body(content_type, raw, url=url, status=status)
    except DecodeError:
        problem = None
    if isinstance(problem, Mapping):
        return error_for_status(status, problem)
    return error_for_status(status, None, raw.decode("utf-8", errors="replace") if raw else "")


def quote_segment(value: str, what: str = "id") -> str:
    """One path segment (an id, a collection or snapshot name) safely quoted."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    return quote(value, safe="")


def as_vector(value: Any, what: str) -> np.ndarray:
    """A 1-D finite float32 array: sent as a list (JSON) or raw bytes (msgpack); a NaN
    is refused here because the server would refuse it after the whole upload."""
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: not a vector of numbers") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{what}: a vector must be one non-empty row of numbers, "
                         f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what}: the vector holds NaN or infinity")
    return arr


def item_to_wire(item: Mapping[str, Any] | Item, position: int) -> dict[str, Any]:
    """An item to add, as the service reads it (a mapping or an :class:`Item`)."""
    if isinstance(item, Item):
        obj: dict[str, Any] = {"id": item.id, "kind": item.kind, "text": item.text,
                               "tags": item.tags, "payload": item.payload,
                               "answer": item.answer, "vector": item.vector}
        obj = {k: v for k, v in obj.items() if v is not None}
    elif isinstance(item, Mapping):
        obj = dict(item)
    else:
        raise TypeError(f"item {position}: expected a mapping or Item, got "
                        f"{type(item).__name__}")
    if obj.get("vector") is not None:
        obj["vector"] = as_vector(obj["vector"], f"item {position} ({obj.get('id', 'no id')})")
    return obj


def query_to_wire(text: str | None, vector: Any, concept: str | None, what: str = "query"
                  ) -> dict[str, Any]:
    """One search query: exactly one of a text, a vector or a concept."""
    given = [v for v in (text, vector, concept) if v is not None]
    if len(given) != 1:
        raise ValueError(f"{what}: give exactly one of text, vector or concept")
    if text is not None:
        return {"text": text}
    if concept is not None:
        return {"concept": concept}
    return {"vector": as_vector(vector, f"{what} vector")}


def id_list(ids: Any, what: str = "ids") -> list[str]:
    """A list of ids; one bare string is refused (it would be read as its characters)."""
    if isinstance(ids, (str, bytes)):
        raise ValueError(f"{what} must be a list of ids, not one string")
    out = list(ids)
    if not all(isinstance(i, str) and i for i in out):
        raise ValueError(f"{what} must be non-empty strings")
    return out
