"""The OpenAPI 3 description of the service, served at /openapi.json.

Why written by hand and checked by tests: the document is the contract clients and
fuzzers are generated from, so it should say what each parameter *means* and every
constraint the server enforces (a request the document allows is one the server
accepts, but for data: an unknown concept or id, a text with no known word, an
expression's grammar). Two things come from the running server, not from here:
the limits that are settings (``k`` up to ``WORLD2VEC_MAX_K``, ``hops``, batch
sizes, the vectors' dimension; a schema names its setting with ``x-world2vec-limit``)
and each operation's access (open, read or write, by auth.py's table) with the key it
needs under this server's configuration. A test compares the paths and methods with
the routes Flask registered, and a fuzzer checks the schemas against the server.
"""

from __future__ import annotations

from world2vec.embeddings.arithmetic import DEFAULT_THRESHOLD
from world2vec.embeddings.expressions import MAX_EXPR_LENGTH
from world2vec.memory.items import MAX_ID_LENGTH, MAX_TAG_LENGTH
from world2vec.service.helpers import OBJECT_KEY
from world2vec.service.params import MAX_QUERY_TEXT

LIMIT_KEY = "x-world2vec-limit"
# A limit's name in the schemas below -> what the document says it is.
LIMIT_SOURCES = {"max_k": "WORLD2VEC_MAX_K", "max_hops": "WORLD2VEC_MAX_HOPS",
                  "max_batch": "WORLD2VEC_MAX_BATCH", "dim": "the served model's dim"}
MAX_FILTER_CONCEPTS = 1000  # allow/block concepts in one /filter request (routes_memories)
FLOAT32_MAX = 3.4028234663852886e38


def limited(schema: dict, limit: str) -> dict:
    """``schema`` whose maximum (a number) or maxItems (a list; minItems too for ``dim``)
    is the running server's ``limit``, filled in by :func:`openapi_document`."""
    return {**schema, LIMIT_KEY: limit}


TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_TEXT, "pattern": r"\S",
         "description": "not empty or only whitespace"}
NAME = {"type": "string", "minLength": 1, "maxLength": MAX_TAG_LENGTH}
ID = {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH}
VECTOR = limited({
    "type": "array", "items": {"type": "number", "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX},
    "contains": {"anyOf": [{"minimum": 1e-30}, {"maximum": -1e-30}]},
    "description": "the model's dim float32 values, not all zero; in msgpack also a bin of "
                   "little-endian float32"}, "dim")
_K = limited({"type": "integer", "minimum": 1, "default": 10}, "max_k")
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_BOUND = {"type": "number"}
_CONDITION = {"oneOf": [
    {**_SCALAR, "description": "equal to this value (or, for a list, containing it)"},
    {"type": "object", "required": ["eq"], "properties": {"eq": _SCALAR},
     "additionalProperties": False},
    {"type": "object", "required": ["ne"], "properties": {"ne": _SCALAR},
     "additionalProperties": False},
    {"type": "object", "required": ["in"], "additionalProperties": False,
     "properties": {"in": {"type": "array", "items": _SCALAR, "minItems": 1}}},
    {"type": "object", "minProperties": 1, "additionalProperties": False,
     "properties": {"gt": _BOUND, "gte": _BOUND, "lt": _BOUND, "lte": _BOUND},
     "not": {"anyOf": [{"required": ["gt", "gte"]}, {"required": ["lt", "lte"]}]},
     "description": "a range: at most one lower (gt, gte) and one upper (lt, lte) bound"}]}
NAMES = {"type": "array", "items": NAME}
_FILTER_CLAUSES = {
    "kind": {"anyOf": [NAME, {**NAMES, "minItems": 1}, {"type": "null"}]},
    "tags": {"type": ["object", "null"], "additionalProperties": False,
             "properties": {"all": NAMES, "any": NAMES, "none": NAMES}},
    "payload": {"type": ["object", "null"], "additionalProperties": _CONDITION},
}
_FILTER_LEAF = {"type": "object", "additionalProperties": False, "properties": _FILTER_CLAUSES}
FILTER = {
    "type": "object", "additionalProperties": False,
    "description": "kind, tags {all, any, none}, payload {field: value | {eq | ne | in | "
                   "gt/gte and lt/lte}}, or: [filter, ...], not: filter; every clause given "
                   "must hold (or and not nest further than this document spells out)",
    "properties": {**_FILTER_CLAUSES,
                   "or": {"type": "array", "items": _FILTER_LEAF, "minItems": 1},
                   "not": _FILTER_LEAF},
}
_WORD = {"type": "string", "pattern": r"\S"}
_OBJECT = {
    "type": "object",
    "description": "an object described by features and relations, embedded by the model's "
                   "object encoder; relations include is_a, part_of, has_part, made_of, member_of",
    "properties": {
        "id": {"type": "string", "maxLength": MAX_ID_LENGTH},
        "features": {"type": "array", "items": _WORD},
        "relations": {"type": "array", "items": {
            "type": "array", "items": _WORD, "minItems": 2, "maxItems": 2,
            "description": "[relation, target concept]"}}},
    "additionalProperties": False,
    "anyOf": [{"required": ["features"], "properties": {"features": {"minItems": 1}}},
              {"required": ["relations"], "properties": {"relations": {"minItems": 1}}}],
}
_HIT = {"type": "object", "required": ["id", "score"], "properties": {
    "id": {"type": "string"}, "score": {"type": "number"}, "kind": {"type": "string"},
    "text": {"type": ["string", "null"]}, "payload": {"type": "object"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "answer": {"type": ["string", "null"]}, "created_at": {"type": "number"},
    "object": {**_OBJECT, "description": "the object the item was encoded from, if any"}}}
_ITEM_FIELDS = {"id": ID, "text": {"type": "string"}, "vector": VECTOR,
                "object": {**_OBJECT, "description": "in place of text: encoded by the object "
                                                     "encoder and kept with the item"},
                "kind": {**NAME, "default": "fact"}, "tags": NAMES,
                "payload": {"type": "object"}, "answer": {"type": "string"},
                "created_at": {"type": "number", "description": "unix seconds; default: now"}}
_ITEM = {"type": "object", "properties": _ITEM_FIELDS}
# Ids that cannot travel in a URL path: clients drop "." and ".." segments, a leading
# "/" is a doubled slash (redirected), and the router's path segments hold no line break.
PATH_ID = {**ID, "not": {"anyOf": [{"enum": [".", ".."]}, {"pattern": "^/"},
                                     {"pattern": "\n"}]},
            "description": "a stored memory's id, percent-encoded; an id that is '.' or '..', "
                           "starts with '/' or holds a line break cannot be reached by a path"}
_NEW_ITEM = {"type": "object", "additionalProperties": False,
             "properties": {**_ITEM_FIELDS, "payload": {
                 "type": "object", "propertyNames": {"not": {"const": OBJECT_KEY}},
                 "description": f"{OBJECT_KEY!r} is reserved for the item's object"}},
             "description": "a vector, a text for the model to encode (or both), or an object "
                            "(not with a vector)",
             "not": {"required": ["object", "vector"]},
             "anyOf": [{"required": ["vector"]},
                       {"required": ["text"], "properties": {"text": {"pattern": r"\S"}}},
                       {"required": ["object"]}]}
_PROJECTION = {"type": "object", "properties": {
    "query": {"type": "array", "items": {"type": "number"}},
    "points": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
    "explained": {"type": "array", "items": {"type": "number"}}}}


def _q(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema}


def _q_json(name: str, schema: dict, description: str) -> dict:
    """A query parameter that carries a JSON value (OpenAPI's ``content`` form)."""
    return {"name": name, "in": "query", "required": False, "description": description,
            "content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict) -> dict:
    return {"200": {"description": description, "content": {
        "application/json": {"schema": schema},
        "application/msgpack": {"schema": schema}}}, **_ERRORS}


def _body(schema: dict, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": schema},
                                              "application/msgpack": {"schema": schema}}}


def _one_of_fields(*names: str) -> list[dict]:
    """JSON Schema for "exactly one of these fields" (the others absent)."""
    return [{"required": [name]} for name in names]


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_ERRORS = {"4XX": {"description": "the caller's mistake (problem+json)",
                   "content": {"application/problem+json": {"schema": _PROBLEM_REF}}}}
_RESULTS = {"type": "object", "properties": {"results": {"type": "array", "items": _HIT}}}

_K_PARAM = _q("k", _K, "how many results (at most WORLD2VEC_MAX_K)")
_TEXTS = limited({"type": "array", "items": TEXT, "minItems": 1}, "max_batch")
_CONCEPTS = {"type": "array", "items": TEXT, "maxItems": MAX_FILTER_CONCEPTS}


def core_paths() -> dict[str, dict]:
    return {
        "/health": {"get": {"summary": "status, model name and dim, item count",
                            "responses": _ok("the service is up", {
                                "type": "object", "required": ["status", "model", "dim", "items"],
                                "properties": {"status": {"type": "string"},
                                               "model": {"type": "string"},
                                               "dim": {"type": "integer"},
                                               "items": {"type": "integer"}}})}},
        "/similar": {"get": {
            "summary": "nearest concepts to a concept, text or object; nearest memories to a "
                       "stored item",
            "description": "Give exactly one of concept, text, object and id. With kind (other "
                           "than 'concept') or filter, a concept, text or object query searches "
                           "the memory; kind and the filter's kind, when both are given, must "
                           "be equal.",
            "x-exactly-one-of": ["concept", "text", "object", "id"],
            "x-equal-when-both": ["kind", "filter.kind"],
            "parameters": [
                _q("concept", TEXT, "a concept (unseen words are synthesized from subwords "
                   "and flagged)"),
                _q("text", TEXT, "free text"),
                _q_json("object", _OBJECT, "an object as JSON text: {\"features\": [...], "
                        "\"relations\": [[relation, target], ...]}"),
                _q("id", TEXT, "a stored memory's id (ranks memories)"),
                _K_PARAM,
                _q("kind", {"type": "string", "maxLength": MAX_QUERY_TEXT}, "item kind; other "
                   "than 'concept', the query searches the memory (blank: not given)"),
                _q_json("filter", FILTER, "a filter object as JSON text (searches the memory)"),
                _q("project", {"type": "boolean"}, "add a 2D PCA projection of query + results"),
            ],
            "responses": _ok("results, best first", {**_RESULTS, "properties": {
                **_RESULTS["properties"], "synthesized": {"type": "boolean"},
                "projection": _PROJECTION}})}},
        "/compose": {"get": {
            "summary": "vector arithmetic on concepts, e.g. king - man + woman, 0.5*paris",
            "parameters": [_q("expr", {**TEXT, "maxLength": MAX_EXPR_LENGTH,
                                       "examples": ["king - man + woman", "0.5*paris + rome",
                                                    "(king - man) + woman", "cat",
                                                    "capital(france) - france + italy"]},
                              "concepts joined by + and -, numeric weights (2*king, king/2) and "
                              "parentheses; a term may be a relation applied to a concept, "
                              "capital(france); a concept with an operator in it is quoted",
                              required=True), _K_PARAM,
                           _q("project", {"type": "boolean"}, "add a 2D PCA projection")],
            "responses": _ok("results (inputs excluded)", _RESULTS)}},
        "/analogy": {"get": {
            "summary": "a : b :: c : ?",
            "parameters": [_q("a", TEXT, "a", True), _q("b", TEXT, "b", True),
                           _q("c", TEXT, "c", True),
                           _q("method", {"type": "string", "enum": ["add", "mul"]},
                              "3CosAdd or 3CosMul"), _K_PARAM],
            "responses": _ok("results (inputs excluded)", _RESULTS)}},
        "/encode": {"post": {
            "summary": "concepts, texts or objects to vectors (give exactly one list)",
            "requestBody": _body({"type": "object", "additionalProperties": False,
                                  "properties": {"concepts": _TEXTS, "texts": _TEXTS,
                                                 "objects": limited({"type": "array",
                                                                     "items": _OBJECT,
                                                                     "minItems": 1},
                                                                    "max_batch")},
                                  "oneOf": _one_of_fields("concepts", "texts", "objects")}),
            "responses": _ok("unit vectors", {"type": "object", "properties": {
                "vectors": {"type": "array", "items": VECTOR}, "dim": {"type": "integer"},
                "synthesized": {"type": "array", "items": {"type": "boolean"}}}})}},
        "/memories": {"post": {
            "summary": "add or upsert items",
            "requestBody": _body({"type": "object", "required": ["items"],
                                  "additionalProperties": False, "properties": {
                                      "items": limited({
                                          "type": "array", "items": _NEW_ITEM, "minItems": 1,
                                          "x-unique-by": "id",
                                          "description": "an id appears at most once"},
                                          "max_batch"),
                                      "upsert": {"type": "boolean", "default": True}}}),
            "responses": _ok("ids written", {"type": "object", "properties": {
                "ids": {"type": "array", "items": {"type": "string"}},
                "count": {"type": "integer"}}})}},
        "/memories/{item_id}": {
            "parameters": [{"name": "item_id", "in": "path", "required": True,
                            "schema": PATH_ID}],
            "get": {"summary": "read one item", "responses": _ok("the item", _ITEM)},
            "delete": {"summary": "remove one item",
                       "responses": _ok("deleted", {"type": "object"})}},
        "/search": {"post": {
            "summary": "nearest stored memories inside a filter, by dense, lexical or hybrid "
                       "search",
            "requestBody": _body({"type": "object", "additionalProperties": False,
                                  "oneOf": _one_of_fields("text", "vector", "concept"),
                                  "properties": {
                                      "text": TEXT, "vector": VECTOR, "concept": TEXT,
                                      "k": _K, "filter": FILTER,
                                      "mode": {"type": "string",
                                               "enum": ["dense", "lexical", "hybrid"],
                                               "description": "dense: cosine of the vectors; "
                                               "lexical: BM25 over the stored texts; hybrid: "
                                               "both, min-max scaled and mixed (score 0..1). "
                                               "Default: hybrid for a text, dense for a concept; "
                                               "a vector is dense only"}},
                                  "not": {"required": ["vector", "mode"],
                                          "properties": {"mode": {"enum": ["lexical",
                                                                           "hybrid"]}}}}),
            "responses": _ok("results, best first", {**_RESULTS, "properties": {
                **_RESULTS["properties"], "mode": {"type": "string"}}})}},
        "/qa": {"post": {
            "summary": "answer a question from the memory (multi-hop reader)",
            "requestBody": _body({"type": "object", "required": ["question"],
                                  "additionalProperties": False, "properties": {
                                      "question": TEXT, "k": {**_K, "default": 5},
                                      "hops": limited({"type": "integer", "minimum": 1,
                                                       "default": 2}, "max_hops"),
                                      "filter": FILTER}}),
            "responses": _ok("answers", {"type": "object", "properties": {"answers": {
                "type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "answer": {"type": ["string", "null"]},
                    "score": {"type": "number"},
                    "support": {"type": "array", "items": {"type": "string"}}}}}}})}},
        "/filter": {"post": {
            "summary": "allow / block / neutral per text, with score and deciding concept",
            "requestBody": _body({
                "type": "object", "required": ["items"], "additionalProperties": False,
                "properties": {"items": _TEXTS, "allow": _CONCEPTS, "block": _CONCEPTS,
                               "threshold": {"type": "number", "minimum": -1, "maximum": 1,
                                             "default": DEFAULT_THRESHOLD}},
                "description": "at least one concept in allow or block",
                "anyOf": [{"required": ["allow"], "properties": {"allow": {"minItems": 1}}},
                          {"required": ["block"], "properties": {"block": {"minItems": 1}}}]}),
            "responses": _ok("one decision per item", {"type": "object", "properties": {
                "results": {"type": "array", "items": {"type": "object", "properties": {
                    "decision": {"type": "string", "enum": ["allow", "block", "neutral"]},
                    "score": {"type": "number"}, "concept": {"type": ["string", "null"]}}}}}})}},
        "/metrics": {"get": {"summary": "Prometheus text format (OpenMetrics when accepted)",
                             "responses": {"200": {"description": "metrics", "content": {
                                 "text/plain": {"schema": {"type": "string"}}}}, **_ERRORS}}},
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


def relation_paths() -> dict[str, dict]:
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
                        "type": "array", "items": TEXT, "minItems": 2,
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
                            "schema": _RELATION_NAME}],
            "delete": {"summary": "forget a relation a user taught (a model's own: 409; needs "
                                  "the API key when one is set)",
                       "security": [{"bearer": []}],
                       "responses": _ok("deleted", {"type": "object", "properties": {
                           "name": {"type": "string"}, "deleted": {"type": "boolean"}}})}},
        "/transform": {"get": {
            "summary": "concepts nearest to a relation applied to a concept (the concept "
                       "excluded); 404 naming an unknown relation or concept",
            "parameters": [_q("relation", TEXT, "a relation's name (GET "
                              "/relations)", required=True),
                           _q("concept", TEXT, "a concept the model learned",
                              required=True), _K_PARAM],
            "responses": _ok("results, best first", _RESULTS)}},
    }
