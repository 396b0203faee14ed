"""Routes about the service itself: /health, /metrics, /openapi.json, /model/events, /."""

from __future__ import annotations

import json
import os
import time

from flask import Blueprint, Response, current_app, send_from_directory

from world2vec.engine.events import scalar_series
from world2vec.service.helpers import reply, state
from world2vec.service.openapi import openapi_document

bp = Blueprint("system", __name__)

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")
MAX_POINTS_PER_TAG = 2000


@bp.get("/health")
def health():
    st = state()
    return reply({"status": "ok", "model": st.model.name, "dim": st.dim, "items": len(st.store),
                  "collections": {c.name: len(c.store) for c in st.collections}})


@bp.get("/metrics")
def metrics():
    st = state()

    def gauges():
        stats = st.store.stats() if hasattr(st.store, "stats") else {}
        out = [("world2vec_items", "Items in the memory.", {}, float(len(st.store))),
               ("world2vec_model_dim", "Dimension of the model's vectors.", {}, float(st.dim)),
               ("world2vec_model_info", "The loaded model (value is always 1).",
                {"model": st.model.name, "dim": str(st.dim)}, 1.0),
               ("world2vec_model_words", "Concepts in the model's vocabulary.", {},
                float(len(st.model.words))),
               ("world2vec_uptime_seconds", "Seconds since this process started serving.", {},
                time.time() - st.started_at)]
        listed = st.relations.list()
        for source in ("model", "user"):
            out.append(("world2vec_relations", "Relations served, the model's own and the "
                        "user's.", {"source": source},
                        float(sum(r["source"] == source for r in listed))))
        if "wal_bytes" in stats:
            out.append(("world2vec_wal_bytes", "Bytes in the memory's write-ahead log.", {},
                        float(stats["wal_bytes"])))
        if "index_covered" in stats:
            out.append(("world2vec_index_covered_items", "Items inside the approximate index "
                        "(the rest are searched exactly).", {"index": str(stats.get("index"))},
                        float(stats["index_covered"])))
        return out

    return Response(st.metrics.render(gauges), mimetype="text/plain",
                    headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


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
