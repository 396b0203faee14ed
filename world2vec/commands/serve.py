"""``world2vec serve``: the REST service under gunicorn, one process, gthread threads.

Why one worker process: the memory's data directory has one writer - the process
holding its lock and appending to its write-ahead log. Several processes would
each need their own copy of the index and would either fight over the lock or
serve reads that miss each other's acknowledged writes. One process with N request
threads keeps one index, one log and one lock; FAISS and numpy release the GIL
during the heavy part of a search, so the threads still use every core.
``--threads N`` therefore sets the number of request threads; ``--workers N`` is
kept as an alias because earlier versions named it so.

This module only parses and checks the configuration; Flask, FAISS and the model
are imported inside the worker, so ``world2vec --help`` stays instant and OpenMP
is configured before FAISS loads.
"""

from __future__ import annotations

import argparse
import os

from world2vec.commands.errors import UsageError
from world2vec.paths import DEFAULT_MODEL_DIR
from world2vec.service.config import BACKENDS, INDEX_KINDS, ConfigError, ServiceConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # Flags default to None so that an unset flag leaves the WORLD2VEC_* variable or
    # the configuration's own default in force; the help shows the latter.
    defaults = ServiceConfig()
    parser.add_argument("--host", default=None,
                        help=f"address to listen on (default: {defaults.host}; WORLD2VEC_HOST)")
    parser.add_argument("--port", type=int, default=None,
                        help=f"TCP port (default: {defaults.port}; WORLD2VEC_PORT)")
    parser.add_argument("--data", default=None, metavar="DIR",
                        help=f"memory data directory (default: ./{defaults.data}; WORLD2VEC_DATA)")
    parser.add_argument("--model", default=None, metavar="PATH",
                        help="model directory (default: the bundled model; WORLD2VEC_MODEL)")
    parser.add_argument("--threads", "--workers", dest="threads", type=int, default=None,
                        metavar="N",
                        help="request threads in the single server process; --workers is an "
                             "alias (default: 2 x cores; WORLD2VEC_THREADS)")
    parser.add_argument("--max-body-mb", type=float, default=None, metavar="MB",
                        help=f"largest request body in MiB (default: {defaults.max_body_mb:g}; "
                             "WORLD2VEC_MAX_BODY_MB)")
    parser.add_argument("--timeout", type=int, default=None, metavar="S",
                        help=f"seconds before a stuck worker is restarted "
                             f"(default: {defaults.timeout}; WORLD2VEC_TIMEOUT)")
    parser.add_argument("--log-level", default=None,
                        choices=["debug", "info", "warning", "error", "critical"],
                        help=f"log level (default: {defaults.log_level}; WORLD2VEC_LOG_LEVEL)")
    parser.add_argument("--index", default=None, choices=INDEX_KINDS,
                        help="memory index: auto (exact, then HNSW, then IVF-PQ as the memory "
                             "grows), flat, hnsw, ivf or ivfpq (default: auto; WORLD2VEC_INDEX)")
    parser.add_argument("--backend", default=None, choices=BACKENDS,
                        help="where the memory lives: faiss (embedded, in --data) or milvus "
                             "(a Milvus server, cluster or Milvus Lite file; needs the 'milvus' "
                             "extra) (default: faiss; WORLD2VEC_BACKEND)")
    parser.add_argument("--milvus-uri", default=None, metavar="URI",
                        help="with --backend milvus: http(s)://host:19530, or a Milvus Lite file "
                             "path ending in .db (default: DATA/milvus.db; WORLD2VEC_MILVUS_URI; "
                             "the token: WORLD2VEC_MILVUS_TOKEN)")
    parser.add_argument("--access-log", action="store_true", default=None,
                        help="log every request to stderr (WORLD2VEC_ACCESS_LOG)")


def config_from_args(args: argparse.Namespace, environ: dict | None = None) -> ServiceConfig:
    """The ServiceConfig for these flags over the environment; UsageError if invalid."""
    flags = {name: getattr(args, name, None) for name in
             ("host", "port", "data", "model", "threads", "max_body_mb", "timeout",
              "log_level", "access_log", "index", "backend", "milvus_uri")}
    try:
        config = ServiceConfig.from_sources(flags, os.environ if environ is None else environ)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if config.model is not None and not os.path.isfile(os.path.join(config.model,
                                                                      "manifest.json")):
        raise UsageError(f"--model {config.model}: not a model directory (no manifest.json)")
    if config.model is None and not os.path.isfile(os.path.join(DEFAULT_MODEL_DIR, "manifest.json")):
        raise UsageError(f"the bundled default model is not installed ({DEFAULT_MODEL_DIR}); "
                         f"pass --model DIR")
    data = os.path.abspath(config.data)
    if os.path.exists(data) and not os.path.isdir(data):
        raise UsageError(f"--data {config.data}: exists and is not a directory")
    return config


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    # One OpenMP thread per search: request threads already run searches in parallel,
    # and nested OpenMP pools made single queries slower under load (PERFORMANCE-NOTES).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from world2vec.service.server import serve
    return serve(config)

