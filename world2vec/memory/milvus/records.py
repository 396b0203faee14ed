"""Small JSON records kept in Milvus: the users' relations of the service, shared by
every replica of one Milvus.

Why in Milvus: with the milvus backend the service keeps no state of its own, so a
relation taught through one replica (``POST /relations``) must be seen by the others,
and must outlive the process that was taught it. The records are what the embedded
service keeps as files (``DATA/relations/<model>/<name>.json``: name, method, pairs,
accuracy); each replica fits the maps again from the pairs, as it does from the files.

One internal Milvus collection, ``<prefix>_records`` (never listed as a world2vec
collection: world2vec names cannot start with ``_``), holds every record: ``id``
(``<scope>/<name>``), ``scope`` (here the model's name: each model has its own
relations), ``name``, ``record`` (the JSON, zlib-compressed and base64'd: 2,000 pairs
fit in one VARCHAR) and ``stamp`` (new at every write). :meth:`MilvusRecords.version`
is the set of stamps of a scope, one small query, so a replica notices another's
change at its next read. Milvus requires a vector field: ``unused`` (dim 2, zeros).
"""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from typing import Any

from world2vec.memory.errors import ValidationError
from world2vec.memory.milvus.errors import milvus_errors
from world2vec.memory.milvus.expressions import quote

STRONG = "Strong"
MAX_RECORD_BYTES = 65_535      # Milvus's largest VARCHAR
_MAX_ROWS = 16_384             # Milvus's query limit: far more relations than a model has


class MilvusRecords:
    """The records of one ``scope`` in the collection ``collection`` (created if missing),
    with the methods a ``RelationBook`` keeps its records through."""

    def __init__(self, client: Any, collection: str, scope: str) -> None:
        self.client = client
        self.collection = collection
        self.scope = str(scope)
        with milvus_errors(f"opening the records collection {collection!r}"):
            if not client.has_collection(collection):
                self._create()
            client.load_collection(collection)

    def _create(self) -> None:
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=1024)
        schema.add_field("scope", DataType.VARCHAR, max_length=512)
        schema.add_field("name", DataType.VARCHAR, max_length=256)
        schema.add_field("record", DataType.VARCHAR, max_length=MAX_RECORD_BYTES)
        schema.add_field("stamp", DataType.VARCHAR, max_length=64)
        schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
        index = self.client.prepare_index_params()
        index.add_index("unused", index_type="FLAT", metric_type="L2")
        self.client.create_collection(self.collection, schema=schema, index_params=index,
                                      consistency_level=STRONG)

    def _rows(self, fields: list[str], name: str | None = None) -> list[dict]:
        expr = f"scope == {quote(self.scope)}"
        if name is not None:
            expr += f" and name == {quote(name)}"
        with milvus_errors(f"reading records of {self.scope!r}"):
            return list(self.client.query(self.collection, filter=expr, output_fields=fields,
                                          limit=_MAX_ROWS, consistency_level=STRONG))

    def names(self) -> list[str]:
        return sorted(row["name"] for row in self._rows(["name"]))

    def read(self, name: str) -> dict:
        """The record ``name``; ``KeyError`` if there is none."""
        rows = self._rows(["record"], name)
        if not rows:
            raise KeyError(name)
        return json.loads(zlib.decompress(base64.b64decode(rows[0]["record"])))

    def write(self, record: dict) -> None:
        """Store ``record`` (a dict with a ``name``) in place of any of that name."""
        name = str(record["name"])
        packed = base64.b64encode(zlib.compress(json.dumps(record).encode("utf-8"), 9)).decode()
        if len(packed) > MAX_RECORD_BYTES:
            raise ValidationError(f"{name!r} is too large to keep in Milvus ({len(packed)} "
                                  f"bytes compressed, at most {MAX_RECORD_BYTES})")
        row = {"id": f"{self.scope}/{name}", "scope": self.scope, "name": name,
               "record": packed, "stamp": uuid.uuid4().hex, "unused": [0.0, 0.0]}
        with milvus_errors(f"writing record {name!r}"):
            self.client.upsert(self.collection, [row])

    def remove(self, name: str) -> None:
        """Delete the record ``name``; ``KeyError`` if there is none."""
        if not self._rows(["id"], name):
            raise KeyError(name)
        with milvus_errors(f"deleting record {name!r}"):
            self.client.delete(self.collection, filter=f"id == {quote(f'{self.scope}/{name}')}")

    def version(self) -> frozenset[str]:
        """The stamps of this scope's records: it changes whenever any replica writes."""
        return frozenset(row["stamp"] for row in self._rows(["stamp"]))
