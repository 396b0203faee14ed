"""Running the app under gunicorn, programmatically (one process, gthread threads).

See world2vec/commands/serve.py and docs/SERVICE.md for why exactly one worker
process. The app is built *in* the worker (not preloaded in the arbiter): FAISS's
OpenMP pool must not cross a fork, and a restarted worker must replay the
write-ahead log rather than inherit a stale copy of the index from its parent.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from world2vec.service.config import ServiceConfig

WORKER_BOOT_ERROR = 3


class _Gunicorn(BaseApplication):
    def __init__(self, config: ServiceConfig):
        self.service_config = config
        self.flask_app = None
        super().__init__()

    def load_config(self) -> None:
        c = self.service_config
        settings = {
            "bind": f"[{c.host}]:{c.port}" if ":" in c.host else f"{c.host}:{c.port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": c.threads,
            "timeout": c.timeout,
            "graceful_timeout": 30,
            "keepalive": 5,
            "loglevel": c.log_level,
            "accesslog": "-" if c.access_log else None,
            "errorlog": "-",
            "preload_app": False,
            "proc_name": "world2vec",
            "worker_exit": _worker_exit,
            "limit_request_line": 8190,
        }
        # gunicorn >= 25.1 opens a control socket at one fixed path per user; two servers
        # (or a test server beside a real one) would fight over it, and we do not use it.
        if "control_socket_disable" in self.cfg.settings:
            settings["control_socket_disable"] = True
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from world2vec.memory.errors import MemoryStoreError
        from world2vec.service.app import create_app
        try:
            self.flask_app = create_app(self.service_config)
        except (MemoryStoreError, ValueError, OSError) as exc:
            # One clear line instead of a traceback; exit code 3 stops the arbiter.
            print(f"world2vec serve: error: {exc}", file=sys.stderr, flush=True)
            sys.exit(WORKER_BOOT_ERROR)
        state = self.flask_app.extensions["world2vec"]
        logging.getLogger("gunicorn.error").info(
            "world2vec: model %s (dim %d), %d items in %s, %d request threads",
            state.model.name, state.dim, len(state.store), self.service_config.data,
            self.service_config.threads)
        _APPS.append(self.flask_app)
        return self.flask_app


_APPS: list = []


def _worker_exit(server: Any, worker: Any) -> None:
    """Snapshot and unlock the memory when the worker stops (SIGTERM, SIGINT)."""
    from world2vec.service.app import close_app
    for app in _APPS:
        close_app(app)


def serve(config: ServiceConfig) -> int:
    """Run until stopped; returns the process exit code."""
    try:
        _Gunicorn(config).run()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
        if code == WORKER_BOOT_ERROR:
            print("world2vec serve: the server could not start (see the error above)",
                  file=sys.stderr)
        return code
    return 0
