"""The OpenAPI document as served: the paths of openapi.py (and of the collections'
routes) with the running configuration's limits filled in and each operation marked
with its access class and whether this server wants a key for it.

Kept apart from openapi.py, which only describes the routes, so that the description
and the assembly from a live app each stay one screenful.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from world2vec import __version__
from world2vec.service.auth import Access, classify
from world2vec.service.collections.openapi import add_collection_paths
from world2vec.service.config import ServiceConfig
from world2vec.service.models.openapi_paths import model_paths
from world2vec.service.openapi import LIMIT_KEY, LIMIT_SOURCES, core_paths, relation_paths


def openapi_document(app: Flask | None = None) -> dict[str, Any]:
    """The whole document, with the limits and the keys of ``app``'s configuration (the
    defaults without an app)."""
    state = app.extensions.get("world2vec") if app is not None else None
    config = state.config if state is not None else ServiceConfig()
    limits = {"max_k": config.max_k, "max_hops": config.max_hops, "max_batch": config.max_batch}
    if state is not None:
        limits["dim"] = state.dim
    paths = apply_limits(add_collection_paths({**core_paths(), **relation_paths()}) | model_paths(), limits)
    if app is not None:
        _state_access(app, paths, config)
    return {
        "openapi": "3.1.0",
        "info": {"title": "world2vec", "version": __version__,
                 "description": "A self-hosted memory of thought vectors. JSON by default; "
                                "msgpack with Content-Type/Accept application/msgpack. Every "
                                "error is application/problem+json. Each operation says its "
                                "access (x-world2vec-access: open, read or write) and, under "
                                "security, whether this server wants a key for it."},
        "paths": paths,
        "components": {
            "schemas": {"Problem": {"type": "object",
                                    "required": ["type", "title", "status", "detail"],
                                    "properties": {"type": {"type": "string"},
                                                   "title": {"type": "string"},
                                                   "status": {"type": "integer"},
                                                   "detail": {"type": "string"}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def apply_limits(node: Any, limits: dict[str, int]) -> Any:
    """A copy of ``node`` with every :func:`limited` schema's bound filled in."""
    if isinstance(node, list):
        return [apply_limits(v, limits) for v in node]
    if not isinstance(node, dict):
        return node
    out = {key: apply_limits(value, limits) for key, value in node.items()}
    name = out.get(LIMIT_KEY)
    if name is not None:
        if name in limits:
            bound = "maxItems" if out.get("type") == "array" else "maximum"
            out[bound] = limits[name]
            if name == "dim":
                out["minItems"] = limits[name]
        out[LIMIT_KEY] = LIMIT_SOURCES.get(name, name)
    return out


def _state_access(app: Flask, paths: dict[str, dict], config: ServiceConfig) -> None:
    """Mark each operation with its access class and the key it needs on this server."""
    needs_key = {Access.OPEN: False, Access.READ: config.read_key is not None,
                 Access.WRITE: config.api_key is not None}
    for rule in app.url_map.iter_rules():
        item = paths.get(flask_rule_to_openapi(rule.rule))
        if item is None:
            continue
        for method in rule.methods or ():
            op = item.get(method.lower())
            if not isinstance(op, dict):
                continue
            access = classify(method, rule.endpoint, rule.rule)
            op["x-world2vec-access"] = access.value
            op["security"] = [{"bearer": []}] if needs_key[access] else []


def flask_rule_to_openapi(rule: str) -> str:
    """``/memories/<path:item_id>`` -> ``/memories/{item_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)
