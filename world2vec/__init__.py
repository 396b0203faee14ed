"""world2vec: a self-hosted memory of thought vectors.

Layers, each importing only the ones below it:
service -> {memory, embeddings} -> engine. Memory and embeddings never import each
other: the service, and the in-process API beside it (``world2vec.api``), wire the
memory to the encoders. docs/ARCHITECTURE.md draws the graph.

``world2vec.load()``, ``world2vec.Memory`` and the result and error types are imported
on first use (a module-level ``__getattr__``), so ``import world2vec`` loads neither
numba, FAISS nor Flask: the ``world2vec`` command's ``--help`` stays instant.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.3.0"

_LAZY = ("load", "Memory", "Collection", "Model", "Hit", "Hits", "Item", "Answer", "Health",
         "Page", "Fetched", "CollectionInfo", "World2vecError", "ClientError", "BadRequest",
         "NotFound", "Conflict", "ServerError", "InsufficientStorage")

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module("world2vec.api"), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'world2vec' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
