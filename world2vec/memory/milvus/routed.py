"""Collections whose vectors a model switch moved to other Milvus collections.

Why: a switch on a shared Milvus re-encodes each collection bound to the model into a
NEW Milvus collection, ``<prefix>_g<generation>_<name>``, beside the live one, and the
active record (active.py) names, per world2vec collection, the Milvus collection that
holds it. :class:`RoutedCollections` is ``MilvusCollections`` read through such a
mapping (``routes``): ``get("notes")`` opens whatever the mapping names for ``notes``,
and the collections it does not name (those with their own vectors, those created
since the last switch) at their usual name, ``<prefix><name>``. One instance is one
served side, fixed: a switch builds another (:meth:`with_stores`), so a request pinned
to the old side keeps reading the old collections.

A route whose collection is gone (the world2vec collection was removed, and maybe made
anew since, at its usual name) falls back to the usual name, as the embedded store's
pointer does for a store directory that is gone.

Milvus aliases could make a world2vec name resolve inside Milvus too, but one alias
moves one collection at a time: the cross-collection switch is the record's single
upsert, and every read goes through these routes, never through an alias.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from world2vec.memory.milvus.collections import MilvusCollection, MilvusCollections, milvus_name
from world2vec.memory.milvus.errors import milvus_errors
from world2vec.memory.milvus.schema import (
    PROPERTY,
    build_index_params,
    build_schema,
    properties_of,
)
from world2vec.memory.milvus.store import STRONG, MilvusStore


def switched_name(prefix: str, generation: int, name: str) -> str:
    """The Milvus collection a switch to ``generation`` writes collection ``name`` into."""
    return milvus_name(name, f"{prefix}_g{generation}_")


def is_switched_name(prefix: str, physical: str) -> bool:
    """Whether ``physical`` is a collection some switch wrote (committed or not)."""
    return physical.startswith(prefix + "_g")


class RoutedCollections(MilvusCollections):
    """``base``'s collections, each read where ``routes`` says (see the module docstring).
    Shares ``base``'s client; closing it closes ``base``."""

    def __init__(self, base: MilvusCollections, routes: Mapping[str, str]) -> None:
        super().__init__(base.client, base.model_dim, prefix=base.prefix, index=base.index,
                         index_params=base.index_params, search_params=base.search_params,
                         shards=base.shards, replicas=base.replicas, uri=base.uri)
        self.base = base
        self.routes = dict(routes)

    def rerouted(self, routes: Mapping[str, str]) -> RoutedCollections:
        """The same collections read through other ``routes`` (a new served side)."""
        return RoutedCollections(self.base, routes)

    def with_stores(self, stores: Mapping[str, Any]) -> RoutedCollections:
        """A new side in which collection ``name`` is read from ``stores[name]`` (a
        :class:`MilvusStore`): what ``ServiceState`` calls when it swaps the served pair."""
        routes = dict(self.routes)
        for name, store in stores.items():
            if store.collection == milvus_name(name, self.prefix):
                routes.pop(name, None)
            else:
                routes[name] = store.collection
        return self.rerouted(routes)

    def physical_name(self, name: str) -> str:
        routed = self.routes.get(name)
        if routed is not None and self.exists(routed):
            return routed
        return super().physical_name(name)

    def exists(self, physical: str) -> bool:
        with milvus_errors(f"looking for collection {physical!r}"):
            return bool(self.client.has_collection(physical))

    def names(self) -> set[str]:
        return super().names() | {name for name, physical in self.routes.items()
                                  if self.exists(physical)}

    def delete(self, name: str) -> None:
        """Remove a collection: where it is routed, and at its usual name if a side a
        switch moved it from is still there."""
        super().delete(name)
        self.drop(milvus_name(name, self.prefix))

    def drop(self, physical: str) -> None:
        """Remove one Milvus collection, if it exists."""
        if self.exists(physical):
            with milvus_errors(f"drop of collection {physical!r}"):
                self.client.drop_collection(physical)

    def listed(self) -> list[str]:
        """Every Milvus collection of this prefix, internal ones included."""
        with milvus_errors("listing collections"):
            return [n for n in self.client.list_collections() if n.startswith(self.prefix)]

    def create_physical(self, physical: str, like: MilvusCollection) -> MilvusStore:
        """An empty Milvus collection ``physical`` for ``like``'s items: the same schema,
        index and properties (its world2vec name, metric, model binding, created_at)."""
        properties = properties_of(like.name, like.dim, like.metric, like.model)
        if like.created_at is not None:
            properties[PROPERTY + "created_at"] = repr(like.created_at)
        with milvus_errors(f"creating collection {physical!r}"):
            self.client.create_collection(
                physical, schema=build_schema(self.client, like.dim),
                index_params=build_index_params(self.client, like.metric, self.index,
                                                self.index_params),
                consistency_level=STRONG, num_shards=self.shards, properties=properties)
            self.client.load_collection(physical, replica_number=self.replicas)
        return MilvusStore(self.client, physical, like.dim, like.metric, name=like.name,
                           search_params=self.search_params, index=self.index)

    def close(self) -> None:
        super().close()
        self.base.close()
