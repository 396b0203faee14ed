"""The OpenAPI 3 description of the service, served at /openapi.json.

Why written by hand and checked by a test: the document is the contract clients
and fuzzers are generated from, so it should say what each parameter *means*; a
test compares its paths and methods with the routes Flask actually registered, so
it cannot drift silently. The tests also drive a fuzzer from these schemas.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from world2vec import __version__
from world2vec.service.models.openapi_paths import model_paths

_VECTOR = {"type": "array", "items": {"type": "number"},
           "description": "float values; in msgpack, a bin of little-endian float32"}
_K = {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}
_FILTER = {
    "type": "object",
    "description": 'kind, tags {all, any, none}, payload {field: value | {gte, gt, lte, lt}}',
    "properties": {
        "kind": {"type": "string"},
        "tags": {"type": "object", "properties": {
            "all": {"type": "array", "items": {"type": "string"}},
            "any": {"type": "array", "items": {"type": "string"}},
            "none": {"type": "array", "items": {"type": "string"}}}},
        "payload": {"type": "object"},
    },
}
_HIT = {"type": "object", "required": ["id", "score"], "properties": {
    "id": {"type": "string"}, "score": {"type": "number"}, "kind": {"type": "string"},
    "text": {"type": ["string", "null"]}, "payload": {"type": "object"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "answer": {"type": ["string", "null"]}, "created_at": {"type": "number"}}}
_ITEM = {"type": "object", "properties": {
    "id": {"type": "string"}, "text": {"type": "string"}, "vector": _VECTOR,
    "kind": {"type": "string", "default": "fact"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "payload": {"type": "object"}, "answer": {"type": "string"}}}
_PROJECTION = {"type": "object", "properties": {
    "query": {"type": "array", "items": {"type": "number"}},
    "points": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
    "explained": {"type": "array", "items": {"type": "number"}}}}


def _q(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema}


def _ok(description: str, schema: dict) -> dict:
    return {"200": {"description": description, "content": {
        "application/json": {"schema": schema},
        "application/msgpack": {"schema": schema}}}, **_ERRORS}


def _body(schema: dict, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": schema},
                                              "application/msgpack": {"schema": schema}}}


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_ERRORS = {"4XX": {"description": "the caller's mistake (problem+json)",
                   "content": {"application/problem+json": {"schema": _PROBLEM_REF}}}}
_RESULTS = {"type": "object", "properties": {"results": {"type": "array", "items": _HIT}}}

_K_PARAM = _q("k", _K, "how many results (1..1000)")


def _paths() -> dict[str, dict]:
    return {
        "/health": {"get": {"summary": "status, model name and dim, item count",
                            "responses": _ok("the service is up", {
                                "type": "object", "required": ["status", "model", "dim", "items"],
                                "properties": {"status": {"type": "string"},
                                               "model": {"type": "string"},
                                               "dim": {"type": "integer"},
                                               "items": {"type": "integer"}}})}},
        "/similar": {"get": {
            "summary": "nearest concepts to a concept or text; nearest memories to a stored item",
            "parameters": [
                _q("concept", {"type": "string"}, "a concept (unseen words are synthesized "
                   "from subwords and flagged)"),
                _q("text", {"type": "string"}, "free text"),
                _q("id", {"type": "string"}, "a stored memory's id (ranks memories)"),
                _K_PARAM,
                _q("kind", {"type": "string"}, "item kind; other than 'concept', the query "
                   "searches the memory"),
                _q("filter", {"type": "string"}, "a filter object as JSON text (searches the "
                   "memory)"),
                _q("project", {"type": "boolean"}, "add a 2D PCA projection of query + results"),
            ],
            "responses": _ok("results, best first", {**_RESULTS, "properties": {
                **_RESULTS["properties"], "synthesized": {"type": "boolean"},
                "projection": _PROJECTION}})}},
        "/compose": {"get": {
            "summary": "vector arithmetic on concepts, e.g. king - man + woman, 0.5*paris",
            "parameters": [_q("expr", {"type": "string"}, "terms joined by + and -, optional "
                              "numeric weights and parentheses; a term may be a relation "
                              "applied to a concept, capital(france)", required=True), _K_PARAM,
                           _q("project", {"type": "boolean"}, "add a 2D PCA projection")],
            "responses": _ok("results (inputs excluded)", _RESULTS)}},
        "/analogy": {"get": {
            "summary": "a : b :: c : ?",
            "parameters": [_q("a", {"type": "string"}, "a", True),
                           _q("b", {"type": "string"}, "b", True),
                           _q("c", {"type": "string"}, "c", True),
                           _q("method", {"type": "string", "enum": ["add", "mul"]},
                              "3CosAdd or 3CosMul"), _K_PARAM],
            "responses": _ok("results (inputs excluded)", _RESULTS)}},
        "/encode": {"post": {
            "summary": "concepts or texts to vectors",
            "requestBody": _body({"type": "object", "properties": {
                "concepts": {"type": "array", "items": {"type": "string"}},
                "texts": {"type": "array", "items": {"type": "string"}}}}),
            "responses": _ok("unit vectors", {"type": "object", "properties": {
                "vectors": {"type": "array", "items": _VECTOR}, "dim": {"type": "integer"},
                "synthesized": {"type": "array", "items": {"type": "boolean"}}}})}},
        "/memories": {"post": {
            "summary": "add or upsert items (needs the API key when one is set)",
            "requestBody": _body({"type": "object", "required": ["items"], "properties": {
                "items": {"type": "array", "items": _ITEM},
                "upsert": {"type": "boolean", "default": True}}}),
            "security": [{"bearer": []}],
            "responses": _ok("ids written", {"type": "object", "properties": {
                "ids": {"type": "array", "items": {"type": "string"}},
                "count": {"type": "integer"}}})}},
        "/memories/{item_id}": {
            "parameters": [{"name": "item_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "get": {"summary": "read one item", "responses": _ok("the item", _ITEM)},
            "delete": {"summary": "remove one item (needs the API key when one is set)",
                       "security": [{"bearer": []}],
                       "responses": _ok("deleted", {"type": "object"})}},
        "/search": {"post": {
            "summary": "nearest stored memories inside a filter",
            "requestBody": _body({"type": "object", "properties": {
                "text": {"type": "string"}, "vector": _VECTOR, "concept": {"type": "string"},
                "k": _K, "filter": _FILTER}}),
            "responses": _ok("results, best first", _RESULTS)}},
        "/qa": {"post": {
            "summary": "answer a question from the memory (multi-hop reader)",
            "requestBody": _body({"type": "object", "required": ["question"], "properties": {
                "question": {"type": "string"}, "k": {**_K, "default": 5},
                "hops": {"type": "integer", "minimum": 1, "maximum": 10, "default": 2},
                "filter": _FILTER}}),
            "responses": _ok("answers", {"type": "object", "properties": {"answers": {
                "type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "answer": {"type": ["string", "null"]},
                    "score": {"type": "number"},
                    "support": {"type": "array", "items": {"type": "string"}}}}}}})}},
        "/filter": {"post": {
            "summary": "allow / block / neutral per text, with score and deciding concept",
            "requestBody": _body({"type": "object", "required": ["items"], "properties": {
                "items": {"type": "array", "items": {"type": "string"}},
                "allow": {"type": "array", "items": {"type": "string"}},
                "block": {"type": "array", "items": {"type": "string"}},
                "threshold": {"type": "number", "minimum": -1, "maximum": 1,
                              "default": 0.35}}}),
            "responses": _ok("one decision per item", {"type": "object", "properties": {
                "results": {"type": "array", "items": {"type": "object", "properties": {
                    "decision": {"type": "string", "enum": ["allow", "block", "neutral"]},
                    "score": {"type": "number"}, "concept": {"type": ["string", "null"]}}}}}})}},
        "/metrics": {"get": {"summary": "Prometheus text format", "responses": {
            "200": {"description": "metrics", "content": {"text/plain": {
                "schema": {"type": "string"}}}}}}},
        "/openapi.json": {"get": {"summary": "this document", "responses": {
            "200": {"description": "OpenAPI 3", "content": {"application/json": {
                "schema": {"type": "object"}}}}}}},
        "/model/events": {"get": {"summary": "the model's training curves (scalar series)",
                                  "responses": _ok("scalars by tag", {
                                      "type": "object", "properties": {
                                          "model": {"type": "string"},
                                          "scalars": {"type": "object"}}})}},
        "/": {"get": {"summary": "the web page", "responses": {
            "200": {"description": "HTML", "content": {"text/html": {
                "schema": {"type": "string"}}}}}}},
        "/static/{name}": {"get": {
            "summary": "the web page's script and style",
            "parameters": [{"name": "name", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "a file"}, **_ERRORS}}},
    }


_RELATION = {"type": "object", "required": ["name", "method", "pairs", "accuracy"], "properties": {
    "name": {"type": "string"},
    "method": {"type": "string", "enum": ["offset", "procrustes", "linear"]},
    "pairs": {"type": "integer", "description": "how many (distinct, usable) pairs it was fitted "
              "from"},
    "accuracy": {"type": ["number", "null"], "description": "leave-one-out top-5 on its pairs"},
    "source": {"type": "string", "enum": ["model", "user"]}}}
_RELATION_NAME = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]{0,63}$"}


def _relation_paths() -> dict[str, dict]:
    """GET/POST /relations, DELETE /relations/{name}, GET /transform."""
    return {
        "/relations": {
            "get": {"summary": "the model's own relations and those users taught",
                    "responses": _ok("relations, the model's first", {
                        "type": "object", "properties": {
                            "relations": {"type": "array", "items": _RELATION},
                            "unavailable": {"type": "array", "items": {
                                "type": "object", "properties": {
                                    "name": {"type": "string"}, "reason": {"type": "string"}}},
                                "description": "stored relations this model cannot fit"}}})},
            "post": {
                "summary": "teach a relation from example pairs (needs the API key when one is "
                           "set); 400 naming unknown words or for fewer than 3 usable pairs, 409 "
                           "for a name taken (unless replace) or one of the model's own",
                "requestBody": _body({"type": "object", "required": ["name", "pairs"],
                                      "additionalProperties": False, "properties": {
                    "name": _RELATION_NAME,
                    "pairs": {"type": "array", "minItems": 3, "maxItems": 2000, "items": {
                        "type": "array", "items": {"type": "string"}, "minItems": 2,
                        "maxItems": 2, "description": "[source, target]"}},
                    "method": {"type": "string", "default": "auto",
                               "enum": ["auto", "offset", "procrustes", "linear"]},
                    "replace": {"type": "boolean", "default": False}}}),
                "security": [{"bearer": []}],
                "responses": {"201": {"description": "taught", "content": {
                    "application/json": {"schema": _RELATION},
                    "application/msgpack": {"schema": _RELATION}}}, **_ERRORS}}},
        "/relations/{name}": {
            "parameters": [{"name": "name", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "delete": {"summary": "forget a relation a user taught (a model's own: 409; needs "
                                  "the API key when one is set)",
                       "security": [{"bearer": []}],
                       "responses": _ok("deleted", {"type": "object", "properties": {
                           "name": {"type": "string"}, "deleted": {"type": "boolean"}}})}},
        "/transform": {"get": {
            "summary": "concepts nearest to a relation applied to a concept (the concept "
                       "excluded); 404 naming an unknown relation or concept",
            "parameters": [_q("relation", {"type": "string"}, "a relation's name (GET "
                              "/relations)", required=True),
                           _q("concept", {"type": "string"}, "a concept the model learned",
                              required=True), _K_PARAM],
            "responses": _ok("results, best first", _RESULTS)}},
    }


def openapi_document(app: Flask | None = None) -> dict[str, Any]:
    """The whole document (``app`` is accepted so a future route can describe itself)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "world2vec", "version": __version__,
                 "description": "A self-hosted memory of thought vectors. JSON by default; "
                                "msgpack with Content-Type/Accept application/msgpack. Every "
                                "error is application/problem+json."},
        "paths": {**_paths(), **_relation_paths(), **model_paths()},
        "components": {
            "schemas": {"Problem": {"type": "object",
                                    "required": ["type", "title", "status", "detail"],
                                    "properties": {"type": {"type": "string"},
                                                   "title": {"type": "string"},
                                                   "status": {"type": "integer"},
                                                   "detail": {"type": "string"}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def flask_rule_to_openapi(rule: str) -> str:
    """``/memories/<path:item_id>`` -> ``/memories/{item_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)
