"""Snapshots of the whole memory over REST: take one, list them, download one.

A snapshot is a tar archive of every collection, consistent per collection, taken
while writes go on (``world2vec.memory.collections.archive``); ``world2vec restore
--data DIR SNAPSHOT.tar`` makes a new data directory from a downloaded one.
"""

from __future__ import annotations

from flask import Blueprint, request, send_file

from world2vec.memory import ValidationError
from world2vec.memory.collections.archive import archive_path, create_archive, list_archives
from world2vec.service.codec import decode_body
from world2vec.service.errors import NotFound
from world2vec.service.helpers import reply, state
from world2vec.service.params import check_known_fields

bp = Blueprint("snapshots", __name__)


@bp.post("/snapshots")
def create_snapshot():
    """Take a snapshot: ``{"name", "bytes", "items", "created_at", "collections"}`` (201)."""
    st = state()
    check_known_fields(decode_body(request), set())
    return reply(create_archive(st.collections), status=201)


@bp.get("/snapshots")
def list_snapshots():
    return reply({"snapshots": list_archives(state().collections.data_dir)})


@bp.get("/snapshots/<name>")
def download_snapshot(name: str):
    """The tar archive, streamed from disk."""
    try:
        path = archive_path(state().collections.data_dir, name)
    except (ValidationError, FileNotFoundError):
        raise NotFound(f"no snapshot named {name!r}", slug="unknown-snapshot") from None
    return send_file(path, mimetype="application/x-tar", as_attachment=True,
                     download_name=name, conditional=True, max_age=0)
