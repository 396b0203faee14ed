"""The model's own queries and the service's documents, written once for both clients.

Like :mod:`~world2vec_client.memory_ops`, each method builds a
:class:`~world2vec_client.calls.Call` and hands it to ``_run``: the sync client returns
the result, the async client an awaitable of it. All of these are reads, so every one
may be resent after a 502/503/504 or a broken connection.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from world2vec_client.calls import Call
from world2vec_client.models import FilterDecision, Health, Hits, to_matrix
from world2vec_client.resources import Relation

T = TypeVar("T")


class ServiceOps:
    """Model queries (similar, compose, analogy, transform, encode, filter), relations,
    health, metrics and the OpenAPI document. On an ``AsyncClient`` every method returns
    an awaitable of the result named here."""

    def _run(self, call: Call[T]) -> T:
        raise NotImplementedError

    def health(self) -> Health:
        """Service status, model name and dimension, number of stored items."""
        return self._run(Call("GET", "/health", parse=Health.from_json))

    def similar(self, concept: str | None = None, k: int = 10, *, text: str | None = None,
                id: str | None = None, kind: str | None = None,
                filter: Mapping[str, Any] | None = None) -> Hits:
        """Nearest concepts to a concept or a free text, or nearest memories to a stored one.

        Give exactly one of ``concept``, ``text`` or ``id``. ``kind``/``filter`` narrow
        the results like :meth:`search`'s filter.
        """
        given = [name for name, v in (("concept", concept), ("text", text), ("id", id))
                 if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of concept, text or id")
        params = {"concept": concept, "text": text, "id": id, "k": k, "kind": kind,
                  "filter": None if filter is None else json.dumps(filter)}
        return self._run(Call("GET", "/similar", params=params, parse=Hits.from_json))

    def compose(self, expr: str, k: int = 10) -> Hits:
        """Vector arithmetic, e.g. ``"king - man + woman"``, ``"0.5*paris + rome"`` or,
        with relations, ``"capital(france) - france + italy"``."""
        return self._run(Call("GET", "/compose", params={"expr": expr, "k": k},
                              parse=Hits.from_json))

    def analogy(self, a: str, b: str, c: str, k: int = 10, method: str = "add") -> Hits:
        """``a : b :: c : ?`` by 3CosAdd (``method="add"``) or 3CosMul (``"mul"``)."""
        params = {"a": a, "b": b, "c": c, "k": k, "method": method}
        return self._run(Call("GET", "/analogy", params=params, parse=Hits.from_json))

    def transform(self, relation: str, concept: str, k: int = 10) -> Hits:
        """Concepts nearest to ``relation`` applied to ``concept`` (``capital``, ``france``
        -> paris first), the input left out; :class:`NotFound` for an unknown either."""
        params = {"relation": relation, "concept": concept, "k": k}
        return self._run(Call("GET", "/transform", params=params, parse=Hits.from_json))

    def relations(self) -> list[Relation]:
        """The relations the service knows: the model's own and those users taught."""
        return self._run(Call("GET", "/relations", parse=lambda out: [
            Relation.from_json(r) for r in out.get("relations") or []]))

    def encode(self, concepts: Sequence[str] | None = None, *,
               texts: Sequence[str] | None = None,
               objects: Sequence[Mapping[str, Any]] | None = None) -> np.ndarray:
        """Vectors for concepts, texts or objects (``{"features": [...], "relations":
        [[relation, target], ...]}``) as a float32 array of shape (n, dim)."""
        given = {name: values for name, values in
                 (("concepts", concepts), ("texts", texts), ("objects", objects))
                 if values is not None}
        if len(given) != 1:
            raise ValueError("give exactly one of concepts, texts or objects")
        (name, values), = given.items()
        if isinstance(values, (str, Mapping)):
            raise ValueError(f"{name} must be a list, not one {type(values).__name__}")
        return self._run(Call("POST", "/encode", body={name: list(values)},
                              parse=lambda out: to_matrix(out.get("vectors") or [], out.get("dim"))))

    def filter(self, items: Sequence[str], allow: Sequence[str] = (), block: Sequence[str] = (),
               threshold: float | None = None) -> list[FilterDecision]:
        """Content filtering: an allow/block/neutral decision with its score for each text."""
        if isinstance(items, str):
            raise ValueError("items must be a list of texts, not one string")
        texts = list(items)
        body: dict[str, Any] = {"items": texts, "allow": list(allow), "block": list(block)}
        if threshold is not None:
            body["threshold"] = threshold
        return self._run(Call("POST", "/filter", body=body, parse=lambda out: [
            FilterDecision.from_json(r, texts[i] if i < len(texts) else None)
            for i, r in enumerate(out.get("results") or [])]))

    def metrics(self) -> str:
        """The Prometheus text from /metrics."""
        return self._run(Call("GET", "/metrics"))

    def openapi(self) -> dict:
        """The service's OpenAPI 3 document."""
        return self._run(Call("GET", "/openapi.json"))
