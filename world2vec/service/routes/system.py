"""Routes about the service itself: /health, /metrics, /openapi.json, /model/events, /."""

from __future__ import annotations

import json
import os

from flask import Blueprint, Response, current_app, request, send_from_directory

from world2vec.engine.events import scalar_series
from world2vec.service.helpers import reply, state
from world2vec.service.openapi_document import openapi_document

bp = Blueprint("system", __name__)

STATIC_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static")
MAX_POINTS_PER_TAG = 2000


@bp.get("/health")
def health():
    st = state()
    return reply({"status": "ok", "model": st.model.name, "dim": st.dim, "items": len(st.store),
                  "collections": {c.name: len(c.store) for c in st.collections}})


@bp.get("/metrics")
def metrics():
    body, content_type = state().metrics.exposition(request.headers.get("Accept"))
    return Response(body, headers={"Content-Type": content_type})


@bp.get("/openapi.json")
def openapi():
    return Response(json.dumps(openapi_document(current_app)), mimetype="application/json")


@bp.get("/model/events")
def model_events():
    """The model's training curves (loss, lr, ...) from its event log, for the page.

    Read leniently (a log torn by a crash must not break the page) and thinned to at
    most MAX_POINTS_PER_TAG points per series: the plot has fewer pixels than that.
    """
    st = state()
    path = getattr(st.model, "events_path", None)
    scalars = scalar_series(path, max_points=MAX_POINTS_PER_TAG) if path else {}
    return reply({"model": st.model.name, "scalars": scalars})


@bp.get("/")
def index():
    return send_from_directory(STATIC_DIR, "index.html", max_age=0)


@bp.get("/static/<path:name>")
def static_file(name: str):
    return send_from_directory(STATIC_DIR, name, max_age=0)
