"""``POST /models/train``: the request's checks, and the job that runs the training process.

The job gathers the new text (the request's ``texts``, a ``corpus`` file under DATA,
and with ``include_memories`` the texts of the stores bound to the served model) into
one file, starts ``worker.py`` in its own low-priority process, relays its progress to
the job, and ends with the worker's result: the new model's name, the measured
neighbourhood overlap and the evaluation gate. The model appears in
``DATA/models/<name>/`` whole or not at all (``Model.save`` renames it into place).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import world2vec
from world2vec.service.codec import type_name
from world2vec.service.errors import ApiError, BadRequest, NotFound
from world2vec.service.models.bound import copy_items, stores_bound_to_model
from world2vec.service.models.jobs import JobFailure, JobHandle
from world2vec.service.models.registry import ModelEntry, ModelRegistry
from world2vec.service.params import check_known_fields

log = logging.getLogger("world2vec.service")

TRAIN_FIELDS = {"name", "from", "texts", "corpus", "include_memories", "epochs", "min_count"}
MAX_TEXTS = 200_000
THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "MKL_NUM_THREADS")


@dataclass
class TrainRequest:
    name: str
    out: str
    base: ModelEntry
    texts: list[str] = field(default_factory=list)
    corpus: str | None = None
    include_memories: bool = False
    epochs: int = 5
    min_count: int = 3


def _int_field(body: dict, key: str, default: int, low: int, high: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"'{key}' must be an integer {low}..{high}, got {value!r:.40}", param=key)
    return value


def corpus_under(data_dir: str, given: Any) -> str:
    """The corpus file a request names, which must lie inside the data directory (its
    real path: a symbolic link out of DATA is refused too)."""
    if not isinstance(given, str) or not given.strip():
        raise BadRequest(f"'corpus' must be a path under the data directory, got "
                         f"{type_name(given)}", param="corpus")
    root = os.path.realpath(data_dir)
    path = os.path.realpath(os.path.join(root, given))
    if os.path.commonpath([root, path]) != root or path == root:
        raise BadRequest("'corpus' must name a file inside the data directory", param="corpus",
                         slug="path-outside-data")
    if not os.path.isfile(path):
        raise BadRequest(f"'corpus' names no file under the data directory: {given!r}",
                         param="corpus", slug="missing-corpus")
    return path


def parse_train_request(body: dict, registry: ModelRegistry, active: str) -> TrainRequest:
    """Check a ``POST /models/train`` body field by field (400 naming the field, 404 for
    an unknown ``from`` model, 409 for a name taken) and reserve the name."""
    check_known_fields(body, TRAIN_FIELDS)
    texts = body.get("texts") or []
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise BadRequest(f"'texts' must be a list of strings, got {type_name(texts)}", param="texts")
    if len(texts) > MAX_TEXTS:
        raise BadRequest(f"'texts' has {len(texts)} entries; at most {MAX_TEXTS} (put more in a "
                         "corpus file under the data directory)", param="texts",
                         slug="batch-too-large")
    include = body.get("include_memories", False)
    if include is None:
        include = False
    if not isinstance(include, bool):
        raise BadRequest(f"'include_memories' must be true or false, got {type_name(include)}",
                         param="include_memories")
    corpus = corpus_under(registry.data_dir, body["corpus"]) if body.get("corpus") is not None \
        else None
    if not any(t.strip() for t in texts) and corpus is None and not include:
        raise BadRequest("nothing to train on: give 'texts', a 'corpus' file or "
                         "'include_memories': true", param="texts", slug="missing-parameter")
    epochs = _int_field(body, "epochs", 5, 1, 100)
    min_count = _int_field(body, "min_count", 3, 1, 1000)
    source = body.get("from") or active
    if not isinstance(source, str):
        raise BadRequest(f"'from' must be a model name, got {type_name(source)}", param="from")
    base = registry.get(source)
    if base is None:
        raise NotFound(f"no model named {source!r} (GET /models lists them)", slug="unknown-model",
                       param="from")
    name = body.get("name")
    try:
        out = registry.reserve(name)
    except FileExistsError as exc:
        raise ApiError(409, str(exc), slug="model-exists", param="name") from None
    except ValueError as exc:
        raise BadRequest(str(exc), param="name",
                         slug="missing-parameter" if name is None else "bad-request") from None
    return TrainRequest(name, out, base, [t for t in texts if t.strip()], corpus, include,
                        epochs, min_count)


def training_work(request: TrainRequest, registry: ModelRegistry, state: Any,
                  active: ModelEntry) -> Callable[[JobHandle], dict]:
    """The job: see the module docstring."""

    def work(handle: JobHandle) -> dict:
        workdir = tempfile.mkdtemp(prefix=".train-", dir=registry.data_dir)
        try:
            texts = list(request.texts)
            if request.include_memories:
                handle.progress(0.0, "reading the memories' texts")
                for bound in stores_bound_to_model(state):
                    texts += memory_texts(bound.store)
            corpus = [request.corpus] if request.corpus else []
            if texts:
                path = os.path.join(workdir, "texts.txt")
                with open(path, "w", encoding="utf-8") as fh:
                    fh.writelines(" ".join(t.split()) + "\n" for t in texts)
                corpus.insert(0, path)
            spec = {"name": request.name, "out": request.out, "base": request.base.path,
                    "base_name": request.base.name, "active": active.path,
                    "active_name": active.name,
                    "corpus": corpus, "epochs": request.epochs, "min_count": request.min_count,
                    "events": os.path.join(workdir, "events.jsonl"), "data": registry.data_dir}
            return _run_worker(spec, workdir, handle)
        finally:
            registry.release(request.name)
            shutil.rmtree(workdir, ignore_errors=True)

    return work


def memory_texts(store: Any) -> list[str]:
    """The texts of a store's items: from a snapshot of the embedded store, or page by
    page through a Milvus collection's scroll (which has no snapshot)."""
    if hasattr(store, "snapshot"):
        return [t for t in copy_items(store).meta["texts"] if t]
    texts, cursor = [], None
    while True:
        page, cursor = store.scroll(limit=10_000, cursor=cursor)
        texts += [item.text for item in page if item.text]
        if cursor is None:
            return texts


def _run_worker(spec: dict, workdir: str, handle: JobHandle) -> dict:
    spec_path = os.path.join(workdir, "spec.json")
    with open(spec_path, "w", encoding="utf-8") as fh:
        json.dump(spec, fh)
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(world2vec.__file__)))
    env = dict(os.environ, **{name: "1" for name in THREAD_VARIABLES})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    log_path = os.path.join(workdir, "worker.log")
    result, error = None, None
    with open(log_path, "w", encoding="utf-8") as err:
        proc = subprocess.Popen([sys.executable, "-m", "world2vec.service.models.worker", spec_path],
                                stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        for line in proc.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "progress" in message:
                handle.progress(message["progress"], message.get("detail"))
            result = message.get("result", result)
            error = message.get("error", error)
        code = proc.wait()
    if code != 0 or result is None:
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            tail = fh.read()[-2000:]
        if tail.strip():
            log.error("training job for %s failed:\n%s", spec["name"], tail)
        raise JobFailure(error or f"the training process exited with code {code}")
    return result
