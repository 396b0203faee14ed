"""The OpenAPI description of the model and job routes (merged into /openapi.json)."""

from __future__ import annotations

from world2vec.service.models.training import MAX_TEXTS

_JSON = ("application/json", "application/msgpack")
_ERRORS = {"4XX": {"description": "the caller's mistake (problem+json)", "content": {
    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
_JOB_ID = {"type": "object", "required": ["job"], "properties": {"job": {"type": "string"}}}
_JOB = {"type": "object", "required": ["id", "kind", "state", "progress"], "properties": {
    "id": {"type": "string"}, "kind": {"type": "string", "enum": ["train", "activate"]},
    "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
    "progress": {"type": "number", "minimum": 0, "maximum": 1},
    "detail": {"type": ["string", "null"]},
    "result": {"type": ["object", "null"], "description": "a training job's: model, gate "
               "{passed, figures}, new_words, neighbour_overlap; an activation's: switched, "
               "model, previous, items, stores"}}}
_MODEL = {"type": "object", "required": ["name", "active"], "properties": {
    "name": {"type": "string"}, "dim": {"type": ["integer", "null"]},
    "words": {"type": ["integer", "null"]}, "created_at": {"type": ["number", "null"]},
    "active": {"type": "boolean"}, "source": {"type": "string"},
    "gate": {"type": ["object", "null"]}}}
#: POST /models/train: a new name, and something to train on -- texts with a word in
#: them, a corpus file or the memory's own texts (the route's checks, said here).
_TRAIN = {
    "type": "object", "additionalProperties": False, "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
                 "description": "a model name not taken yet"},
        "from": {"type": "string", "minLength": 1,
                 "description": "a model GET /models lists (default: the served one)"},
        "texts": {"type": "array", "maxItems": MAX_TEXTS, "items": {"type": "string"}},
        "corpus": {"type": "string", "pattern": "\\S",
                   "description": "a file under the data directory, one sentence per line"},
        "include_memories": {"type": "boolean", "default": False},
        "epochs": {"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
        "min_count": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 3}},
    "anyOf": [
        {"required": ["texts"], "properties": {"texts": {
            "contains": {"type": "string", "pattern": "\\S"}}}},
        {"required": ["corpus"]},
        {"required": ["include_memories"], "properties": {"include_memories": {"const": True}}}]}
#: A name in a path: one non-empty segment (not "." or "..": those are no segment).
_SEGMENT = {"type": "string", "minLength": 1, "pattern": "^(?!\\.{1,2}$)[^/]+$"}
_NAME = [{"name": "name", "in": "path", "required": True, "schema": _SEGMENT}]


def _content(schema: dict) -> dict:
    return {kind: {"schema": schema} for kind in _JSON}


def _answer(code: str, description: str, schema: dict) -> dict:
    return {code: {"description": description, "content": _content(schema)}, **_ERRORS}


def model_paths() -> dict[str, dict]:
    """GET /models, POST /models/train, POST /models/{name}/activate, GET /jobs[/{job_id}],
    GET /models/{name}/events, GET /models/{name}/graph."""
    return {
        "/models": {"get": {"summary": "the models the service can serve; 'active' names the "
                                       "served one",
                            "responses": _answer("200", "models", {"type": "object", "properties": {
                                "active": {"type": "string"},
                                "models": {"type": "array", "items": _MODEL}}})}},
        "/models/train": {"post": {
            "summary": "train a new model from the active (or a named) one on new text, in the "
                       "background, then measure it against the active one (needs the API key "
                       "when one is set); 409 for a name taken or while a job runs",
            "requestBody": {"required": True, "content": _content(_TRAIN)},
            "security": [{"bearer": []}],
            "responses": _answer("202", "the job started", _JOB_ID)}},
        "/models/{name}/activate": {"parameters": _NAME, "post": {
            "summary": "serve this model: the bound memory is re-encoded aside, then model and "
                       "vectors switch at once (needs the API key when one is set); 409 for a "
                       "model that failed its gate (unless force) or while a job runs",
            "requestBody": {"required": False, "content": _content({
                "type": "object", "additionalProperties": False,
                "properties": {"force": {"type": "boolean", "default": False}}})},
            "security": [{"bearer": []}],
            "responses": _answer("202", "the job started", _JOB_ID)}},
        "/models/{name}/events": {"parameters": _NAME, "get": {
            "summary": "a model's training record: scalar and histogram series",
            "parameters": [{"name": "histograms", "in": "query", "required": False,
                            "description": "histograms kept per tag (1..1000)",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
            "responses": _answer("200", "series by tag", {"type": "object", "properties": {
                "model": {"type": "string"}, "scalars": {"type": "object"},
                "histograms": {"type": "object"}}})}},
        "/models/{name}/graph": {"parameters": _NAME, "get": {
            "summary": "the computation of a model's sentence encoder (engine graph export)",
            "parameters": [{"name": "text", "in": "query", "required": False,
                            "description": "the sample text encoded (at most 500 characters)",
                            "schema": {"type": "string"}}],
            "responses": _answer("200", "nodes and edges", {"type": "object", "properties": {
                "model": {"type": "string"}, "graph": {"type": "object"}}})}},
        "/jobs": {"get": {"summary": "the background jobs of this process, newest first",
                          "responses": _answer("200", "jobs", {"type": "object", "properties": {
                              "jobs": {"type": "array", "items": _JOB}}})}},
        "/jobs/{job_id}": {
            "parameters": [{"name": "job_id", "in": "path", "required": True,
                            "schema": _SEGMENT}],
            "get": {"summary": "a job's state, progress and result",
                    "responses": _answer("200", "the job", _JOB)}},
    }
