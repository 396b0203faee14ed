"""The Milvus collection behind one world2vec collection: its fields, indexes and metadata,
and how an :class:`Item` becomes a row and back.

Fields: ``id`` (VARCHAR primary key), ``vector``, ``kind``, ``tags`` (JSON list: no
capacity limit, unlike ARRAY), ``payload`` (JSON, as given), ``text`` and ``answer``
(nullable VARCHAR), ``created_at``; derived for filtering, ``fx`` and ``fnum``
(``filterkeys.py``); derived for full-text search, ``lexical`` (the BM25 terms of text
and answer, :func:`lexical_terms`) and ``sparse``, its BM25 vector, which Milvus
computes itself (a BM25 function: Milvus >= 2.5, and Milvus Lite, support it).

Why the terms are ours and not Milvus's analyzer's: the embedded store's BM25 folds
inflections (``installing`` and ``installed`` are one term, ``bm25.stem``) and keeps
``x86-64`` whole; Milvus's standard analyzer does neither, and ranked the Debian FAQ's
held-out questions 0.025 MRR below the embedded store through /search. So the field
holds our terms, each written as one word the standard tokenizer keeps whole, and a
query is turned into terms the same way: both backends rank by the same terms.

Metadata lives in the collection's properties (``world2vec.*``), so a service keeps no
state of its own: any replica reads what a collection is from Milvus itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from world2vec.memory.bm25 import terms
from world2vec.memory.errors import ValidationError
from world2vec.memory.items import Item
from world2vec.memory.milvus.filterkeys import index_fields

MAX_ID_BYTES = 2048            # ids are at most 512 characters (items.MAX_ID_LENGTH)
MAX_KIND_BYTES = 1024
MAX_TEXT_BYTES = 65_535        # Milvus's largest VARCHAR
MAX_JSON_BYTES = 65_536        # Milvus's limit on one JSON value
ITEM_FIELDS = ["id", "kind", "tags", "payload", "text", "answer", "created_at"]
PROPERTY = "world2vec."        # prefix of our collection properties
SCHEMA_VERSION = "1"
MILVUS_METRIC = {"cosine": "IP", "dot": "IP", "l2": "L2"}


def build_schema(client: Any, dim: int) -> Any:
    """The collection schema (see the module docstring)."""
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=MAX_ID_BYTES)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("kind", DataType.VARCHAR, max_length=MAX_KIND_BYTES)
    schema.add_field("tags", DataType.JSON)
    schema.add_field("payload", DataType.JSON)
    schema.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT_BYTES, nullable=True)
    schema.add_field("answer", DataType.VARCHAR, max_length=MAX_TEXT_BYTES, nullable=True)
    schema.add_field("created_at", DataType.DOUBLE)
    schema.add_field("fx", DataType.JSON)
    schema.add_field("fnum", DataType.JSON)
    analyzer = {"tokenizer": "standard"}   # splits lexical_terms' words at the spaces only
    schema.add_field("lexical", DataType.VARCHAR, max_length=MAX_TEXT_BYTES,
                     enable_analyzer=True, analyzer_params=analyzer)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="lexical_bm25", function_type=FunctionType.BM25,
                                 input_field_names=["lexical"], output_field_names=["sparse"]))
    return schema


def build_index_params(client: Any, metric: str, index_type: str,
                       index_params: Mapping[str, Any] | None) -> Any:
    """Vector index (``index_type``, e.g. AUTOINDEX, HNSW, IVF_PQ, DISKANN) and BM25 index."""
    params = client.prepare_index_params()
    params.add_index("vector", index_type=index_type, metric_type=MILVUS_METRIC[metric],
                     params=dict(index_params or {}))
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    return params


def properties_of(name: str, dim: int, metric: str, model: str | None) -> dict[str, str]:
    """What the collection is, as Milvus properties (strings)."""
    return {PROPERTY + "name": name, PROPERTY + "dim": str(dim), PROPERTY + "metric": metric,
            PROPERTY + "model": "" if model is None else model,
            PROPERTY + "created_at": repr(time.time()), PROPERTY + "schema": SCHEMA_VERSION}


#: Characters a BM25 term may hold besides [a-z0-9] (bm25.TOKEN_RE), each written as a
#: letter after ``_``: the standard tokenizer splits at them, but not at ``_``.
_TERM_PUNCTUATION = str.maketrans({"'": "_q", ".": "_d", "-": "_h", "+": "_p"})


def lexical_terms(text: str) -> str:
    """The embedded store's BM25 terms of ``text`` (tokens, stopwords out, stemmed:
    ``bm25.terms``), as words Milvus's standard tokenizer keeps whole: ``x86-64`` is
    written ``x86_h64``."""
    return " ".join(term.translate(_TERM_PUNCTUATION) for term in terms(text))


def read_properties(properties: Mapping[str, str]) -> dict[str, Any] | None:
    """``{"name", "dim", "metric", "model", "created_at"}`` of a world2vec collection, or
    None for a Milvus collection that is not one of ours."""
    if PROPERTY + "name" not in properties:
        return None
    return {"name": properties[PROPERTY + "name"], "dim": int(properties[PROPERTY + "dim"]),
            "metric": properties[PROPERTY + "metric"],
            "model": properties.get(PROPERTY + "model") or None,
            "created_at": float(properties.get(PROPERTY + "created_at") or 0.0)}


def _check_bytes(value: str | None, limit: int, what: str, position: int, item_id: str) -> None:
    if value is not None and len(value.encode("utf-8", "surrogatepass")) > limit:
        raise ValidationError(f"item {position} (id {item_id!r}): {what} is longer than the "
                              f"Milvus backend stores ({limit} bytes)", position, item_id)


def to_row(item: Item, vector: np.ndarray, position: int) -> dict[str, Any]:
    """The row of a validated item (``vector``: the one to store, normalized or not)."""
    _check_bytes(item.text, MAX_TEXT_BYTES, "'text'", position, item.id)
    _check_bytes(item.answer, MAX_TEXT_BYTES, "'answer'", position, item.id)
    _check_bytes(item.kind, MAX_KIND_BYTES, "'kind'", position, item.id)
    fx, fnum = index_fields(item.payload)
    for what, value in (("'payload'", item.payload), ("'tags'", item.tags),
                        ("the payload's filter index", fx)):
        if len(json.dumps(value, ensure_ascii=False)) > MAX_JSON_BYTES:
            raise ValidationError(f"item {position} (id {item.id!r}): {what} takes more than "
                                  f"{MAX_JSON_BYTES} bytes of JSON, Milvus's limit (long "
                                  f"lists of numbers in a payload cost the most)", position, item.id)
    lexical = lexical_terms(" ".join(filter(None, (item.text, item.answer))))
    encoded = lexical.encode("utf-8", "surrogatepass")
    if len(encoded) > MAX_TEXT_BYTES:   # only ranking sees this field: cut at a character
        lexical = encoded[:MAX_TEXT_BYTES].decode("utf-8", "ignore")
    return {"id": item.id, "vector": vector.tolist(), "kind": item.kind, "tags": list(item.tags),
            "payload": item.payload, "text": item.text, "answer": item.answer,
            "created_at": float(item.created_at), "fx": fx, "fnum": fnum, "lexical": lexical}


def from_row(row: Mapping[str, Any], with_vector: bool) -> Item:
    """The item of a row Milvus returned (``vector`` only when asked and present)."""
    vector = row.get("vector") if with_vector else None
    return Item(id=row["id"], kind=row["kind"], text=row.get("text"),
                vector=None if vector is None else np.asarray(vector, dtype=np.float32),
                tags=list(row.get("tags") or []), payload=dict(row.get("payload") or {}),
                answer=row.get("answer"), created_at=float(row.get("created_at") or 0.0))
