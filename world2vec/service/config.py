"""One configuration object for the service, filled from CLI flags and ``WORLD2VEC_*``.

Why one object: the gunicorn launcher, the Flask app factory, the tests and the
docs all need the same settings with the same defaults and the same validation.
Precedence is the usual one: an explicit CLI flag beats an environment variable,
which beats the default. A bad value is a :class:`ConfigError` with a one-line
message naming the setting, never a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

MIB = 1024 * 1024
# world2vec.memory.indexes.INDEX_KINDS, repeated so that checking a flag does not load
# FAISS in gunicorn's arbiter (its OpenMP runtime must not cross the fork).
INDEX_KINDS = ("auto", "flat", "exact", "hnsw", "ivf", "ivfpq")
BACKENDS = ("faiss", "milvus")     # the embedded store, or Milvus (docs/SCALING.md)


class ConfigError(ValueError):
    """A setting has a value that cannot be used (bad number, out of range)."""


def default_threads() -> int:
    """Request threads in the single worker: 2 x cores (FAISS releases the GIL)."""
    return max(2, 2 * (os.cpu_count() or 1))


@dataclass(frozen=True)
class ServiceConfig:
    """Every knob of the REST service. See docs/SERVICE.md for the table."""

    host: str = "127.0.0.1"
    port: int = 8000
    data: str = "world2vec-data"
    model: str | None = None          # None: the bundled default model
    threads: int = field(default_factory=default_threads)  # request threads, one process
    api_key: str | None = None        # the write key (also accepted wherever a read key is)
    api_key_file: str | None = None   # a file holding the write key (container secrets)
    read_key: str | None = None       # when set, reading routes need a key too
    read_key_file: str | None = None
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the API
    max_body_mb: float = 32.0
    max_batch: int = 10_000
    max_k: int = 1000
    max_hops: int = 10
    timeout: int = 120                # gunicorn worker timeout (seconds)
    index: str = "auto"               # memory index kind, passed to MemoryStore.open
    backend: str = "faiss"            # where the memory lives: embedded (faiss) or milvus
    milvus_uri: str | None = None     # http(s)://host:port, or a Milvus Lite file (default DATA/milvus.db)
    milvus_token: str | None = None   # "user:password" or an API key, for a secured Milvus
    log_level: str = "info"
    access_log: bool = False

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * MIB)

    def validate(self) -> ServiceConfig:
        """Check ranges and read the key files; return the checked config so it chains.

        The key files are read here (not only when the environment is read) so that a
        config built in Python with ``api_key_file=...`` is never silently keyless.
        """
        config = self._with_key_files()
        config._check_ranges()
        config._check_keys()
        origins = normalize_origins(config.cors_origins)
        return config if origins == config.cors_origins else replace(config, cors_origins=origins)

    def _check_ranges(self) -> None:
        if not self.host:
            raise ConfigError("host must not be empty")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be 0..65535, got {self.port}")
        if not 1 <= self.threads <= 256:
            raise ConfigError(f"threads must be 1..256, got {self.threads}")
        if not 0 < self.max_body_mb <= 1024:
            raise ConfigError(f"max body size must be in (0, 1024] MiB, got {self.max_body_mb}")
        if not 1 <= self.max_batch <= 1_000_000:
            raise ConfigError(f"max batch must be 1..1000000, got {self.max_batch}")
        if not 1 <= self.max_k <= 100_000:
            raise ConfigError(f"max k must be 1..100000, got {self.max_k}")
        if not 1 <= self.max_hops <= 100:
            raise ConfigError(f"max hops must be 1..100, got {self.max_hops}")
        if self.timeout < 1:
            raise ConfigError(f"timeout must be at least 1 second, got {self.timeout}")
        if self.log_level not in {"debug", "info", "warning", "error", "critical"}:
            raise ConfigError(f"log level must be debug/info/warning/error/critical, "
                              f"got {self.log_level!r}")
        if not self.data:
            raise ConfigError("data directory must not be empty")
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.index not in INDEX_KINDS:
            raise ConfigError(f"index must be one of {', '.join(INDEX_KINDS)}, got {self.index!r}")

    def _with_key_files(self) -> ServiceConfig:
        # A key already there was read from its file by an earlier validate() (from_sources
        # refuses a key and a key file both set): a restarted worker keeps the key it had.
        changes = {key_field: read_secret(getattr(self, file_field),
                                          _env_names_of(file_field)[0])
                   for key_field, file_field in _KEY_FILES.items()
                   if getattr(self, file_field) and getattr(self, key_field) is None}
        return replace(self, **changes) if changes else self

    def _check_keys(self) -> None:
        if self.read_key is not None and self.api_key is None:
            raise ConfigError("WORLD2VEC_READ_KEY needs WORLD2VEC_API_KEY too: otherwise reading "
                              "would need a key while writing would not")
        if self.read_key is not None and self.read_key == self.api_key:
            raise ConfigError("WORLD2VEC_READ_KEY must differ from WORLD2VEC_API_KEY (a read "
                              "key must not be able to write)")

    @classmethod
    def from_sources(cls, flags: Mapping[str, Any] | None = None,
                     environ: Mapping[str, str] | None = None) -> ServiceConfig:
        """Build from CLI flags (``None`` values ignored) over ``WORLD2VEC_*`` over defaults."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            for env_name in _env_names_of(f.name):
                if environ.get(env_name, "") != "":
                    values[f.name] = _parse(f.name, environ[env_name], env_name)
                    break
        for name, value in (flags or {}).items():
            if value is not None and name in _FIELD_NAMES:
                values[name] = value
        for key_field, file_field in _KEY_FILES.items():
            if values.get(key_field) == "":
                values[key_field] = None
            if values.get(key_field) is not None and values.get(file_field):
                raise ConfigError(f"set {_env_names_of(key_field)[0]} or "
                                  f"{_env_names_of(file_field)[0]}, not both")
        for name in ("milvus_uri", "milvus_token"):
            if values.get(name) == "":
                values[name] = None
        return replace(cls(), **values).validate()


ENV_PREFIX = "WORLD2VEC_"
_FIELD_NAMES = {f.name for f in fields(ServiceConfig)}
_INTS = {"port", "threads", "max_batch", "max_k", "max_hops", "timeout"}
_FLOATS = {"max_body_mb"}
_BOOLS = {"access_log"}
_KEY_FILES = {"api_key": "api_key_file", "read_key": "read_key_file"}
MAX_SECRET_BYTES = 4096
# An origin as browsers send it: scheme://host[:port], no path, no trailing slash.
_ORIGIN_RE = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#\s@]+$")
# Older names still read, after the current one: ``threads`` was ``workers`` (it
# always counted request threads of the one process, never processes).
_LEGACY_ENV = {"threads": ["WORLD2VEC_WORKERS"]}


def _env_names_of(name: str) -> list[str]:
    """The variables that set field ``name``, the one that wins first."""
    return [ENV_PREFIX + name.upper(), *_LEGACY_ENV.get(name, [])]


def _parse(name: str, raw: str, source: str) -> Any:
    raw = raw.strip()
    try:
        if name in _INTS:
            return int(raw)
        if name in _FLOATS:
            return float(raw)
    except ValueError:
        kind = "an integer" if name in _INTS else "a number"
        raise ConfigError(f"{source} must be {kind}, got {raw!r}") from None
    if name in _BOOLS:
        low = raw.lower()
        if low in {"1", "true", "yes", "on"}:
            return True
        if low in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{source} must be true or false, got {raw!r}")
    if name in ("log_level", "backend"):
        return raw.lower()
    if name == "cors_origins":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def read_secret(path: str, source: str) -> str:
    """A key from a file (Docker/Kubernetes secrets): surrounding whitespace, such as the
    trailing newline that ``echo`` and editors add, is not part of the key."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_SECRET_BYTES:
        raise ConfigError(f"{source}: {path} is larger than {MAX_SECRET_BYTES} bytes; a key "
                          f"file holds just the key")
    try:
        secret = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: {path} is not UTF-8 text") from None
    if not secret:
        raise ConfigError(f"{source}: {path} is empty")
    return secret


def normalize_origins(origins: Any) -> tuple[str, ...]:
    """Browser origins as the ``Origin`` header spells them (lower case, no trailing
    slash), or ``*`` for any; anything else is a ConfigError naming it."""
    if isinstance(origins, str):
        origins = [part for part in origins.split(",")]
    out = []
    for origin in origins:
        text = str(origin).strip().rstrip("/").lower()
        if not text:
            continue
        if text != "*" and not _ORIGIN_RE.match(text):
            raise ConfigError(f"WORLD2VEC_CORS_ORIGINS: {str(origin).strip()!r} is not an origin "
                              f"such as https://app.example.com or http://localhost:3000 (or *)")
        out.append(text)
    return tuple(dict.fromkeys(out))


def env_names() -> list[str]:
    """Every environment variable the service reads (documented in docs/SERVICE.md)."""
    return [env_name for f in fields(ServiceConfig) for env_name in _env_names_of(f.name)]
