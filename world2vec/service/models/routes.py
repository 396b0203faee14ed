"""Routes over models and jobs: GET /models, POST /models/train, POST /models/<name>/activate,
GET /jobs, GET /jobs/<id>, and a model's training record for the page (GET
/models/<name>/events: scalars and histograms; GET /models/<name>/graph: its sentence
encoder's computation).

Thin adapters: check the request, hand the work to a background job (training.py,
switch.py), answer 202 with the job's id.
"""

from __future__ import annotations

import os

from flask import Blueprint, request

from world2vec.engine.events import histogram_series, scalar_series
from world2vec.service.codec import decode_body, type_name
from world2vec.service.errors import ApiError, BadRequest, NotFound
from world2vec.service.helpers import reply
from world2vec.service.models.admin import admin
from world2vec.service.models.bound import load_named
from world2vec.service.models.jobs import JobBusy
from world2vec.service.models.registry import ModelEntry, gate_of
from world2vec.service.models.switch import activation_work
from world2vec.service.models.training import parse_train_request, training_work
from world2vec.service.params import check_known_fields, query_int

bp = Blueprint("models", __name__)

MAX_POINTS_PER_TAG = 2000
MAX_HISTOGRAMS_PER_TAG = 50


def _busy(exc: JobBusy) -> ApiError:
    return ApiError(409, str(exc), slug="job-running", job=exc.job.id)


def _model(name: str) -> ModelEntry:
    entry = admin().registry.get(name)
    if entry is None:
        raise NotFound(f"no model named {name!r} (GET /models lists them)", slug="unknown-model",
                       model=name)
    return entry


@bp.get("/models")
def list_models():
    a = admin()
    active = a.active
    return reply({"active": active,
                  "models": [a.registry.describe(e, active) for e in a.registry.entries()]})


@bp.post("/models/train")
def train_model():
    """Start training a new model from the active (or a named) one: 202 with the job."""
    a = admin()
    body = decode_body(request)
    req = parse_train_request(body, a.registry, a.active)
    try:
        job = a.jobs.start("train", training_work(req, a.registry, a.state, a.active_entry()))
    except JobBusy as exc:
        a.registry.release(req.name)
        raise _busy(exc) from None
    return reply({"job": job.id}, status=202)


@bp.post("/models/<name>/activate")
def activate_model(name: str):
    """Start serving ``name``: 202 with the job; 409 for a model that failed its gate
    (unless ``force``) or while another job runs."""
    a = admin()
    body = decode_body(request)
    check_known_fields(body, {"force"})
    force = body.get("force", False)
    if force is None:
        force = False
    if not isinstance(force, bool):
        raise BadRequest(f"'force' must be true or false, got {type_name(force)}", param="force")
    entry = _model(name)
    gate = gate_of(entry.path)
    if gate is not None and not gate.get("passed") and not force and name != a.active:
        raise ApiError(409, f"model {name!r} failed its evaluation gate against "
                            f"{gate.get('against')!r}; send {{\"force\": true}} to serve it anyway",
                       slug="gate-failed", model=name)
    try:
        work = (a.shared.activation_work(entry, a.gate) if a.shared is not None
                else activation_work(entry, a.registry, a.state, a.gate))
        job = a.jobs.start("activate", work)
    except JobBusy as exc:
        raise _busy(exc) from None
    return reply({"job": job.id}, status=202)


@bp.get("/jobs")
def list_jobs():
    return reply({"jobs": admin().jobs.list()})


@bp.get("/jobs/<job_id>")
def get_job(job_id: str):
    job = admin().jobs.get(job_id)
    if job is None:
        raise NotFound(f"no job has id {job_id!r} (jobs are forgotten when the service "
                       "restarts)", slug="unknown-job", job=job_id)
    return reply(job)


@bp.get("/models/<name>/events")
def model_events(name: str):
    """A model's training record: scalar series and histogram series from its event log."""
    entry = _model(name)
    args = request.args.to_dict()
    steps = query_int(args, "histograms", MAX_HISTOGRAMS_PER_TAG, 1, 1000)
    path = os.path.join(entry.path, "events.jsonl")
    return reply({"model": name, "scalars": scalar_series(path, max_points=MAX_POINTS_PER_TAG),
                  "histograms": histogram_series(path, max_steps=steps)})


@bp.get("/models/<name>/graph")
def model_graph(name: str):
    """The computation of the model's default sentence encoder, as the engine exports it."""
    from world2vec.embeddings.sentences.graph import SAMPLE_TEXT, encoder_graph

    entry = _model(name)
    a = admin()
    served = a.state.model
    model = served if name == served.name else load_named(entry.path, name)
    text = request.args.get("text") or SAMPLE_TEXT
    if len(text) > 500:
        raise BadRequest("'text' must be at most 500 characters", param="text")
    graph = encoder_graph(model, text)
    if graph is None:
        raise NotFound(f"model {name!r}'s sentence encoder ({model.default_sentence}) has no "
                       "graph to show", slug="no-graph", model=name)
    return reply({"model": name, "graph": graph})
