"""The service on either memory backend, for tests parametrised over both.

Why one shared Milvus Lite database: starting one costs about a second, and pymilvus
runs one Milvus Lite server per file and process, which every client of that file
shares. So the whole session uses one file, and each app gets collections of its own
under a prefix of its own (``t<n>_``): apps that a module holds open at once (the keyed
apps and the CORS app of test_access.py, say) never see each other's items. Creating
an app's collections costs about a second more, so modules whose tests each want a new
memory keep one Milvus app and :meth:`ServiceBackends.reset` it between tests.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
from typing import Any

import pytest

from world2vec.service.app import create_app
from world2vec.service.config import ServiceConfig

BACKENDS = ("faiss", "milvus")
HAVE_MILVUS = importlib.util.find_spec("pymilvus") is not None \
    and importlib.util.find_spec("milvus_lite") is not None
#: Why a test runs on the embedded store only: what it checks are DATA's files.
EMBEDDED_FILES = "about the embedded store's files (snapshots, dump, full disk), which Milvus has not"


class ServiceBackends:
    """Builds apps on the embedded store or on the session's Milvus Lite file."""

    def __init__(self, root: str) -> None:
        self.milvus_uri = os.path.join(root, "milvus.db")
        self._numbers = itertools.count()

    def app(self, backend: str, model_dir: str | None, data: str, *, model: Any = None,
            prefix: str | None = None, **config: Any) -> Any:
        """``create_app`` on ``backend`` with a fresh memory: an empty data directory
        ``data``, and with Milvus collections of the app's own in the shared file (or those
        under ``prefix``: two apps on one prefix are two replicas of one service)."""
        if backend == "faiss":
            return create_app(ServiceConfig(model=model_dir, data=data, **config), model=model)
        if not HAVE_MILVUS:
            pytest.skip("pymilvus / milvus-lite not installed (the 'milvus' extra)")
        config = dict(config, backend="milvus", milvus_uri=self.milvus_uri)
        return create_app(ServiceConfig(model=model_dir, data=data, **config), model=model,
                          milvus_options={"prefix": prefix or self.new_prefix()})

    @staticmethod
    def reset(app: Any) -> None:
        """Make a Milvus app's memory as a new app's: only ``default``, empty, and no
        relations (cheaper than a new app, whose collections cost a second each)."""
        state = app.extensions["world2vec"]
        for collection in list(state.collections):
            if collection.name != "default":
                state.collections.delete(collection.name)
        state.store.delete_by_filter({})
        for name in state.relations.records.names():
            state.relations.forget(name)

    def new_prefix(self) -> str:
        """A Milvus name prefix no app has used in this session."""
        return f"t{next(self._numbers)}_"
