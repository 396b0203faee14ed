"""The active record: which model a shared Milvus is served with, and where each
collection's vectors are, kept in Milvus itself.

Why in Milvus: with ``--backend milvus`` several service processes (on several hosts)
share one memory and keep no state of their own; a model switch must be one step they
all see. The embedded store's step is a file rename (``active-model.json``); here it is
ONE upsert of ONE row in an internal collection, ``<prefix>_active`` (never listed as a
world2vec collection: no world2vec name starts with ``_``). A row upsert is atomic in
Milvus, and every read asks for Strong consistency, so a replica that reads the record
sees the old mapping whole or the new one whole, for every collection at once.

The row (``ActiveRecord``): the served model's name (every host has the model files:
``DATA/models/<name>/`` or the bundled one), a ``generation`` that grows by one with each
switch (what replicas compare when they poll), ``stores`` (world2vec name -> the Milvus
collection holding its vectors, for the collections a switch moved), the Milvus collections
switched away from (``retired``: name -> when; dropped once no replica can read them) and, while a
switch runs, its ``building`` lease (the collections it is writing, who writes them, a
heartbeat), so leftovers of a switch that died are told from a switch in progress.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from world2vec.memory.milvus.errors import milvus_errors

RECORD_ID = "active"
FORMAT = 1


@dataclass(frozen=True)
class ActiveRecord:
    """What the record says (see the module docstring)."""

    model: str
    generation: int = 0
    stores: dict[str, str] = field(default_factory=dict)
    retired: dict[str, float] = field(default_factory=dict)
    previous_model: str | None = None
    switched_at: float | None = None
    building: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "model": self.model, "generation": self.generation,
                "stores": dict(self.stores), "retired": dict(self.retired),
                "previous_model": self.previous_model, "switched_at": self.switched_at,
                "building": self.building}

    @classmethod
    def from_json(cls, obj: Any) -> ActiveRecord:
        if not isinstance(obj, dict) or obj.get("format") != FORMAT or \
                not isinstance(obj.get("model"), str) or not isinstance(obj.get("stores"), dict):
            raise ValueError(f"not a world2vec active record: {json.dumps(obj)[:200]}")
        return cls(obj["model"], int(obj.get("generation") or 0), dict(obj["stores"]),
                   {str(k): float(v) for k, v in (obj.get("retired") or {}).items()},
                   obj.get("previous_model"), obj.get("switched_at"), obj.get("building"))

    def with_building(self, building: dict[str, Any] | None) -> ActiveRecord:
        return replace(self, building=building)

    def with_retired(self, retired: dict[str, float]) -> ActiveRecord:
        return replace(self, retired=dict(retired))


class ActiveRecords:
    """The record's collection in one Milvus database (created on first write)."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.collection = prefix + "_active"

    def read(self) -> ActiveRecord | None:
        """The record, or None if this Milvus never switched models. A record that cannot
        be read is an error (ValueError): guessing would risk serving a mix."""
        with milvus_errors("reading the active record"):
            if not self.client.has_collection(self.collection):
                return None
            rows = self.client.query(self.collection, filter=f'id == "{RECORD_ID}"',
                                     output_fields=["body"], consistency_level="Strong")
        return ActiveRecord.from_json(rows[0]["body"]) if rows else None

    def write(self, record: ActiveRecord) -> None:
        """Replace the record: one upsert of one row, the atomic step of a switch."""
        with milvus_errors("writing the active record"):
            if not self.client.has_collection(self.collection):
                self._create()
            self.client.upsert(self.collection, [{"id": RECORD_ID, "vector": [1.0, 0.0],
                                                  "body": record.to_json()}])

    def _create(self) -> None:
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=2)   # Milvus wants one
        schema.add_field("body", DataType.JSON)
        index = self.client.prepare_index_params()
        index.add_index("vector", index_type="AUTOINDEX", metric_type="IP")
        self.client.create_collection(self.collection, schema=schema, index_params=index,
                                      consistency_level="Strong")
