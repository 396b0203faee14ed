"""Collections over REST: list, create, describe, remove; and every memory route scoped
to one collection under ``/collections/<name>/``.

Scoping: :func:`register` adds, for each memory route (``/memories...``, ``/search``,
``/qa``), the same view function under ``/collections/<collection>`` with the same
endpoint name -- so the write-key rules, the metrics (labelled by URL rule) and the
answers are the unscoped route's -- and a URL preprocessor notes the collection's name
in ``g``, where ``helpers.state()`` finds it.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, request

from world2vec.memory import ValidationError
from world2vec.memory.collections import DEFAULT
from world2vec.service.codec import decode_body
from world2vec.service.errors import BadRequest
from world2vec.service.helpers import reply, state
from world2vec.service.params import check_known_fields

bp = Blueprint("collections", __name__)

SCOPED_PREFIXES = ("/memories", "/search", "/qa")
SCOPED_BLUEPRINTS = ("memories", "data")
PREFIX = "/collections/<collection>"


def register(app: Flask) -> None:
    """Register this blueprint and the scoped twins of the memory routes (after those)."""
    app.register_blueprint(bp)
    for rule in list(app.url_map.iter_rules()):
        blueprint = rule.endpoint.split(".", 1)[0]
        if blueprint in SCOPED_BLUEPRINTS and rule.rule.startswith(SCOPED_PREFIXES):
            app.add_url_rule(PREFIX + rule.rule, endpoint=rule.endpoint,
                             view_func=app.view_functions[rule.endpoint],
                             methods=sorted(rule.methods - {"HEAD", "OPTIONS"}))

    @app.url_value_preprocessor
    def _note_collection(endpoint: str | None, values: dict | None) -> None:
        if values and "collection" in values and endpoint is not None \
                and endpoint.split(".", 1)[0] in SCOPED_BLUEPRINTS:
            g.w2v_collection = values.pop("collection")


@bp.get("/collections")
def list_collections():
    st = state()
    return reply({"collections": [c.info() for c in st.collections]})


@bp.post("/collections")
def create_collection():
    """Create a collection: ``{"name", "dim"?, "metric"?, "model"?: "default" | null}``."""
    st = state()
    body = decode_body(request)
    check_known_fields(body, {"name", "dim", "metric", "model"})
    if "name" not in body:
        raise BadRequest("missing field 'name'", param="name", slug="missing-parameter")
    values = {"name": body["name"], "dim": body.get("dim"), "metric": body.get("metric"),
              "model": body.get("model", DEFAULT)}
    try:
        created = st.collections.create(**values)
    except ValidationError as exc:
        raise BadRequest(str(exc), param=getattr(exc, "field", "name"),
                         slug="invalid-collection") from None
    return reply(created.info(detail=True), status=201)


@bp.get("/collections/<collection>")
def describe_collection(collection: str):
    """A collection's stats: name, dim, metric, model, items, index, bytes."""
    return reply(state().collections.get(collection).info(detail=True))


@bp.delete("/collections/<collection>")
def delete_collection(collection: str):
    """Remove a collection and all its data (``default`` cannot be removed: 409)."""
    state().collections.delete(collection)
    return reply({"name": collection, "deleted": True})
