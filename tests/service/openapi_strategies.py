"""Hypothesis strategies driven by the service's OpenAPI document.

Two kinds of request: ``rough`` ones follow the schemas most of the time and send any
JSON now and then (for "no input gives a 500"), and ``valid`` ones that the document
allows - checked by a real JSON Schema validator, the generator only aims close - for
"the server accepts what its document allows". A module of its own so the tests read
as what they check.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

METHODS = {"get", "post", "put", "patch", "delete"}
SKIPPED_PATHS = ("/", "/static/{name}")  # files, not an API
# Words of the fixture model first, so that valid requests mostly reach the model.
WORDS = ["cat", "king", "man", "woman", "queen", "paris", "dog", "war", "football", "kittycat",
         "", " ", "k", "é", "null", "1"]
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
any_json = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
flat_json = st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=6),
                            st.none() | st.booleans() | st.integers(-1000, 1000)
                            | st.floats(-1e6, 1e6) | st.sampled_from(WORDS), max_size=3)


# -- rough: mostly the schema, sometimes anything -----------------------------------------

def rough(schema: dict, depth: int = 0) -> st.SearchStrategy:
    """Values that follow ``schema`` most of the time, and anything JSON now and then."""
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([rough({**schema, "type": t}, depth) for t in kind])
    if "enum" in schema:
        good = st.sampled_from(schema["enum"])
    elif kind == "string":
        good = st.sampled_from(WORDS) | st.text(max_size=20)
    elif kind == "integer":
        lo, hi = schema.get("minimum", -10), schema.get("maximum", 10_000)
        good = st.integers(lo, hi) | st.integers(lo - 3, hi + 3) | st.integers()
    elif kind == "number":
        good = st.floats(allow_nan=False, allow_infinity=False) | st.floats(-2, 2)
    elif kind == "boolean":
        good = st.booleans()
    elif kind == "null":
        good = st.none()
    elif kind == "array":
        good = st.lists(rough(schema.get("items", {}), depth + 1), max_size=6)
    elif kind == "object" and schema.get("properties") and depth < 4:
        props = {name: rough(sub, depth + 1) for name, sub in schema["properties"].items()}
        required = set(schema.get("required", []))
        good = st.fixed_dictionaries({n: s for n, s in props.items() if n in required},
                                     optional={n: s for n, s in props.items()
                                               if n not in required})
    else:
        good = any_json
    return st.one_of(good, good, good, any_json) if depth else good


# -- valid: only what the schema allows ------------------------------------------------------

def merged(base: dict, branch: dict) -> dict:
    """``base`` and one branch of its oneOf/anyOf, as one schema to generate from."""
    out = {**base, **{k: v for k, v in branch.items() if k not in ("properties", "required")}}
    if "properties" in branch:
        props = dict(base.get("properties", {}))
        for name, sub in branch["properties"].items():
            props[name] = {**props.get(name, {}), **sub}
        out["properties"] = props
    out["required"] = sorted(set(base.get("required", [])) | set(branch.get("required", [])))
    return out


def valid(schema: dict, depth: int = 0) -> st.SearchStrategy:
    """Values aimed at ``schema`` (a validator has the last word, see :func:`valid_for`)."""
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            base = {k: v for k, v in schema.items() if k != combinator}
            return st.one_of([valid(merged(base, branch), depth) for branch in schema[combinator]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([valid({**schema, "type": t}, depth) for t in kind])
    if kind == "string":
        return _valid_string(schema)
    if kind == "integer":
        lo, hi = schema.get("minimum", -1000), schema.get("maximum", 1000)
        return st.integers(lo, hi) | st.sampled_from([lo, hi])
    if kind == "number":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        return (st.floats(lo, hi, allow_nan=False, allow_infinity=False)
                | st.floats(-2 if lo is None else max(lo, -2), 2 if hi is None else min(hi, 2)))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        lo = schema.get("minItems", 0)
        hi = min(schema.get("maxItems", lo + 4), lo + 4)
        key = schema.get("x-unique-by")  # objects whose member `key`, where given, differs
        unique = (lambda obj: obj.get(key, object()) if isinstance(obj, dict) else obj) \
            if key else None
        return st.lists(valid(schema.get("items", {}), depth + 1), min_size=lo, max_size=hi,
                        unique_by=unique)
    if kind == "object" or "properties" in schema:
        return _valid_object(schema, depth)
    return flat_json if depth < 3 else st.none()


def _valid_string(schema: dict) -> st.SearchStrategy:
    lo, hi = schema.get("minLength", 0), schema.get("maxLength", 10_000)
    pattern = re.compile(schema["pattern"]) if "pattern" in schema else None

    def fits(text: str) -> bool:
        return lo <= len(text) <= hi and (pattern is None or pattern.search(text) is not None)

    known = [w for w in [*schema.get("examples", []), *WORDS] if fits(w)]
    anything = st.text(min_size=lo, max_size=max(lo, min(hi, 24))).filter(fits)
    return st.one_of(st.sampled_from(known), anything) if known else anything


def _valid_object(schema: dict, depth: int) -> st.SearchStrategy:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    extra = schema.get("additionalProperties", True)
    if not props and isinstance(extra, dict):  # a map of name -> schema (payload conditions)
        return st.dictionaries(st.sampled_from(["year", "lang", "n", "x"]), valid(extra, depth + 1),
                               max_size=3)
    if not props:
        return flat_json
    strategies = {name: valid(sub, depth + 1) for name, sub in props.items()}
    return st.fixed_dictionaries({n: s for n, s in strategies.items() if n in required},
                                 optional={n: s for n, s in strategies.items()
                                           if n not in required})


def valid_for(schema: dict) -> st.SearchStrategy:
    """Values the JSON Schema validator agrees are valid for ``schema``."""
    validator = Draft202012Validator(schema)

    def checked(value: Any) -> Any:
        assume(validator.is_valid(value))
        return value

    return valid(schema).map(checked)


# -- requests ----------------------------------------------------------------------------

def parameter_schema(param: dict) -> tuple[dict, bool]:
    """A parameter's schema, and whether it travels as JSON text (OpenAPI ``content``)."""
    if "content" in param:
        return param["content"]["application/json"]["schema"], True
    return param["schema"], False


def query_text(value: Any, as_json: bool) -> str:
    if as_json or isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def operations(doc: dict):
    """(path, method, path-level + operation parameters, operation) of the API's operations."""
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS and path not in SKIPPED_PATHS:
                yield path, method, [*item.get("parameters", []), *op.get("parameters", [])], op


def rough_requests(doc: dict) -> st.SearchStrategy:
    ops = []
    for path, method, params, op in operations(doc):
        query = {}
        for p in params:
            if p["in"] == "query":
                schema, as_json = parameter_schema(p)
                query[p["name"]] = (rough(schema).map(lambda v, j=as_json: query_text(v, j))
                                    | st.text(string.printable, max_size=15))
        path_params = {p["name"]: st.text(string.ascii_letters + string.digits + "-_%.",
                                          min_size=1, max_size=12)
                       for p in params if p["in"] == "path"}
        body = None
        if "requestBody" in op:
            body = rough(op["requestBody"]["content"]["application/json"]["schema"]) | any_json
        ops.append(st.fixed_dictionaries({
            "method": st.just(method.upper()), "path": st.just(path),
            "query": st.fixed_dictionaries({}, optional=query),
            "path_params": st.fixed_dictionaries(path_params),
            "body": body if body is not None else st.none(),
            "auth": st.sampled_from([None, "good", "bad"]),
            "fmt": st.sampled_from(["json", "msgpack"]),
        }))
    return st.one_of(ops)


def _valid_query(params: list[dict], op: dict) -> st.SearchStrategy:
    """Query parameters the operation allows, its cross-parameter rules included:
    ``x-exactly-one-of`` (names) and ``x-equal-when-both`` (a name and a JSON member)."""
    values: dict[str, tuple[st.SearchStrategy, bool]] = {}
    for p in params:
        if p["in"] == "query":
            schema, as_json = parameter_schema(p)
            values[p["name"]] = (valid_for(schema), as_json)
    exactly_one = op.get("x-exactly-one-of", [])
    required = [p["name"] for p in params if p["in"] == "query" and p.get("required")]
    fixed = st.fixed_dictionaries({n: values[n][0] for n in required})
    optional = st.fixed_dictionaries({}, optional={n: s for n, (s, _) in values.items()
                                                   if n not in required and n not in exactly_one})
    one = (st.one_of([st.fixed_dictionaries({n: values[n][0]}) for n in exactly_one])
           if exactly_one else st.just({}))

    def assemble(parts: tuple[dict, dict, dict]) -> dict[str, str]:
        query = {**parts[0], **parts[1], **parts[2]}
        equal = op.get("x-equal-when-both")
        if equal:
            name, (member_of, member) = equal[0], equal[1].split(".", 1)
            if str(query.get(name, "")).strip() and isinstance(query.get(member_of), dict) \
                    and member in query[member_of]:  # (a blank parameter is not given)
                query[member_of] = {**query[member_of], member: query[name]}
        return {n: query_text(v, values[n][1]) for n, v in query.items()}

    return st.tuples(fixed, optional, one).map(assemble)


def valid_requests(doc: dict) -> st.SearchStrategy:
    ops = []
    for path, method, params, op in operations(doc):
        path_params = {p["name"]: valid_for(p["schema"]) for p in params if p["in"] == "path"}
        body = None
        if "requestBody" in op:
            body = valid_for(op["requestBody"]["content"]["application/json"]["schema"])
        ops.append(st.fixed_dictionaries({
            "method": st.just(method.upper()), "path": st.just(path),
            "query": _valid_query(params, op), "path_params": st.fixed_dictionaries(path_params),
            "body": body if body is not None else st.none(), "auth": st.just("good"),
            "fmt": st.sampled_from(["json", "msgpack"]),
        }))
    return st.one_of(ops)
