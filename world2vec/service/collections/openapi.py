"""The OpenAPI entries of collections, data operations, batch search and snapshots.

Kept beside the service's openapi.py rather than inside it: :func:`add_collection_paths`
takes the document's paths and adds the routes of routes.py, data.py and snapshots.py,
the search options of search.py, and -- as the app does -- a copy of every memory path
under ``/collections/{collection}``.
"""

from __future__ import annotations

import copy
from typing import Any

from world2vec.service.openapi import FILTER, NAME, TEXT, VECTOR, limited

_STR = {"type": "string"}
_STRS = {"type": "array", "items": _STR}
_ERRORS = {"4XX": {"description": "the caller's mistake (problem+json)", "content": {
    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
    "507": {"description": "no space left on the server's disk: nothing was written",
            "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}}}
_OPTIONAL_FILTER = {**FILTER, "type": ["object", "null"]}
# Lists of ids as the routes read them (params.body_str_list): not blank, at most
# WORLD2VEC_MAX_BATCH of them, possibly none.
_IDS = limited({"type": "array", "items": TEXT}, "max_batch")
MAX_PATCH_TAGS = 10_000  # data.py's bound on a patch's tags
# Names as the server matches them in full: JSON Schema's "$" also matches before a final
# line break, which no name holds.
_NO_LINE_BREAK = {"not": {"pattern": "\n"}}
_COLLECTION_NAME = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,62}$", **_NO_LINE_BREAK,
                    "description": "lower-case letters, digits, '_' and '-'; at most 63"}
_SNAPSHOT_NAME = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\\.tar$",
                  **_NO_LINE_BREAK}
MAX_DIM = 65_536  # memory/collections/manifest.py
_ITEM = {"type": "object", "properties": {
    "id": _STR, "kind": _STR, "text": {"type": ["string", "null"]}, "tags": _STRS,
    "payload": {"type": "object"}, "answer": {"type": ["string", "null"]},
    "created_at": {"type": "number"}, "vector": {"type": "array", "items": {"type": "number"}}}}
_COLLECTION = {"type": "object", "required": ["name", "dim", "metric", "model", "items"],
               "properties": {"name": _STR, "dim": {"type": "integer"},
                              "metric": {"type": "string", "enum": ["cosine", "dot", "l2"]},
                              "model": {"type": ["string", "null"]}, "items": {"type": "integer"},
                              "index": _STR, "bytes": {"type": "integer"}}}
_SNAPSHOT = {"type": "object", "properties": {
    "name": _STR, "bytes": {"type": "integer"}, "items": {"type": "integer"},
    "created_at": {"type": "number"}, "collections": {"type": "object"}}}
_WRITE = [{"bearer": []}]
MAX_QUERIES = 1_000  # search.py's bound on a batch of queries
SCOPED = ("/memories", "/search", "/qa")


def _ok(description: str, schema: dict, status: str = "200") -> dict:
    return {status: {"description": description, "content": {
        "application/json": {"schema": schema}, "application/msgpack": {"schema": schema}}},
        **_ERRORS}


def _body(properties: dict, required: tuple[str, ...] = (), **rules: Any) -> dict:
    """A JSON object body of ``properties`` (no others), with ``rules`` (oneOf, ...)."""
    schema = {"type": "object", "properties": properties, "required": list(required),
              "additionalProperties": False, **rules}
    return {"required": bool(required) or "minProperties" in rules,
            "content": {"application/json": {"schema": schema},
                        "application/msgpack": {"schema": schema}}}


def _path_param(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _data_paths() -> dict[str, dict]:
    return {
        "/memories/scroll": {"post": {
            "summary": "a page of items in id order; next_cursor (null at the end) asks for "
                       "the next; every item present for the whole scroll comes exactly once",
            "requestBody": _body({"limit": {"type": "integer", "minimum": 1, "maximum": 10000,
                                            "default": 100},
                                  "cursor": {"type": ["string", "null"], "minLength": 1,
                                             "description": "the page before's next_cursor"},
                                  "filter": _OPTIONAL_FILTER,
                                  "with_vectors": {"type": "boolean", "default": False}}),
            "responses": _ok("a page", {"type": "object", "properties": {
                "items": {"type": "array", "items": _ITEM},
                "next_cursor": {"type": ["string", "null"]}}})}},
        "/memories/count": {"post": {
            "summary": "how many items (match the filter)",
            "requestBody": _body({"filter": _OPTIONAL_FILTER}),
            "responses": _ok("the count", {"type": "object", "properties": {
                "count": {"type": "integer"}}})}},
        "/memories/get": {"post": {
            "summary": "several items by id",
            "requestBody": _body({"ids": _IDS, "with_vectors": {"type": "boolean",
                                                                "default": True}}, ("ids",)),
            "responses": _ok("the items found and the ids missing", {
                "type": "object", "properties": {"items": {"type": "array", "items": _ITEM},
                                                 "missing": _STRS}})}},
        "/memories/delete": {"post": {
            "summary": "remove items by ids, or every item matching a filter ({} matches all)",
            "requestBody": _body({"ids": _IDS, "filter": FILTER},
                                 oneOf=[{"required": ["ids"]}, {"required": ["filter"]}]),
            "security": _WRITE,
            "responses": _ok("how many were removed", {"type": "object", "properties": {
                "deleted": {"type": "integer"}}})}},
    }


def _collection_paths() -> dict[str, dict]:
    return {
        "/collections": {
            "get": {"summary": "every collection", "responses": _ok("the collections", {
                "type": "object", "properties": {"collections": {"type": "array",
                                                                 "items": _COLLECTION}}})},
            "post": {"summary": "create a collection (model: null takes vectors of its own dim)",
                     "requestBody": _body({
                         "name": _COLLECTION_NAME,
                         "dim": {"type": "integer", "minimum": 1, "maximum": MAX_DIM},
                         "metric": {"type": ["string", "null"], "default": "cosine",
                                    "enum": ["cosine", "dot", "l2", None]},
                         "model": {"type": ["string", "null"], "default": "default",
                                   "enum": ["default", None]}}, ("name",),
                         description="bound to the model ('default'): the model's dim (dim "
                                     "absent, or equal to it); model null: dim is required",
                         anyOf=[{"not": {"required": ["dim"]},
                                 "properties": {"model": {"const": "default"}}},
                                {"required": ["model", "dim"],
                                 "properties": {"model": {"const": None}}}]),
                     "security": _WRITE, "responses": _ok("created", _COLLECTION, "201")}},
        "/collections/{collection}": {
            "parameters": [_path_param("collection", _COLLECTION_NAME)],
            "get": {"summary": "a collection's stats", "responses": _ok("stats", _COLLECTION)},
            "delete": {"summary": "remove a collection and its data (not default)",
                       "security": _WRITE, "responses": _ok("removed", {"type": "object"})}},
        "/snapshots": {
            "get": {"summary": "the snapshots kept", "responses": _ok("snapshots", {
                "type": "object", "properties": {"snapshots": {"type": "array",
                                                               "items": _SNAPSHOT}}})},
            "post": {"summary": "a consistent snapshot of the whole memory (a tar archive)",
                     "requestBody": _body({}, maxProperties=0), "security": _WRITE,
                     "responses": _ok("taken", _SNAPSHOT, "201")}},
        "/snapshots/{name}": {
            "parameters": [_path_param("name", _SNAPSHOT_NAME)],
            "get": {"summary": "download a snapshot (restore with world2vec restore)",
                    "responses": {"200": {"description": "a tar archive", "content": {
                        "application/x-tar": {"schema": {"type": "string",
                                                         "format": "binary"}}}}, **_ERRORS}}},
    }


def _add_search_options(paths: dict) -> None:
    search = paths.get("/search", {}).get("post")
    if not search:
        return
    query = {"type": "object", "additionalProperties": False,
             "properties": {"text": TEXT, "vector": VECTOR, "concept": TEXT},
             "oneOf": [{"required": [name]} for name in ("text", "vector", "concept")]}
    for media in search.get("requestBody", {}).get("content", {}).values():
        schema = media["schema"]
        # one query, or a batch of them (searched densely) -- never both
        schema["oneOf"] = [*schema.get("oneOf", []), {
            "required": ["queries"], "properties": {"mode": {"const": "dense"}}}]
        schema.setdefault("properties", {}).update({
            "queries": {"type": "array", "items": query, "minItems": 1,
                        "maxItems": MAX_QUERIES},
            "score_threshold": {"type": "number", "description": "keep hits scoring at least "
                                "this (cosine, dot, or negative L2 distance)"},
            "offset": {"type": "integer", "minimum": 0, "maximum": 10000, "default": 0},
            "with_vectors": {"type": "boolean", "default": False}})
    search["summary"] += "; several queries at once with 'queries' (answer: batches)"


def add_collection_paths(paths: dict[str, Any]) -> dict[str, Any]:
    """``paths`` with the routes named in the module docstring added."""
    paths = dict(paths)
    _add_search_options(paths)
    paths.update(_data_paths())
    item = paths.get("/memories/{item_id}")
    if item is not None:
        item = paths["/memories/{item_id}"] = dict(item)
        item["patch"] = {"summary": "change an item's metadata, keeping its vector (payload "
                                    "merged; tags, kind, answer replaced)",
                         "requestBody": _body({
                             "payload": {"type": "object"}, "kind": NAME, "answer": _STR,
                             "tags": {"type": "array", "maxItems": MAX_PATCH_TAGS,
                                      "items": {**NAME, "pattern": "\\S"}}},
                             minProperties=1, description="at least one field"),
                         "security": _WRITE, "responses": _ok("the item", _ITEM)}
    for path in [p for p in paths if p.startswith(SCOPED)]:
        scoped = copy.deepcopy(paths[path])
        scoped["parameters"] = [_path_param("collection", _COLLECTION_NAME),
                                *scoped.get("parameters", [])]
        paths["/collections/{collection}" + path] = scoped
    paths.update(_collection_paths())
    return paths
