"""The in-process Python API: ``world2vec.load()`` and ``world2vec.Memory``.

A top layer beside the service (it uses the memory and embeddings layers, never the
service): ``load`` opens a model whose ``wv`` speaks gensim's KeyedVectors and whose
``encode`` gives sentence vectors; :class:`Memory` is a memory with the client's method
names, results and errors, and its collections (:class:`Collection`) the client's
collections. ``world2vec/__init__.py`` imports this package lazily, so ``import
world2vec`` stays instant.
"""

from __future__ import annotations

import os

from world2vec.api.collection import Collection
from world2vec.api.errors import (
    BadRequest,
    ClientError,
    Conflict,
    InsufficientStorage,
    NotFound,
    ServerError,
    World2vecError,
)
from world2vec.api.memory import Memory
from world2vec.api.results import (
    Answer,
    CollectionInfo,
    Fetched,
    Health,
    Hit,
    Hits,
    Item,
    Page,
)
from world2vec.embeddings.model import Model, load_model

__all__ = ["load", "Memory", "Collection", "Model", "Hit", "Hits", "Item", "Answer", "Health",
           "Page", "Fetched", "CollectionInfo", "World2vecError", "ClientError", "BadRequest",
           "NotFound", "Conflict", "ServerError", "InsufficientStorage"]


def load(path: str | os.PathLike | None = None) -> Model:
    """Open a model: the bundled default (``None``) or a model directory.

    The model has ``path``, ``name`` and ``dim``; ``model.wv`` (gensim's KeyedVectors
    names), ``model.encode(texts)`` (sentence vectors, float32 ``(n, dim)``),
    ``model.encode_concepts(words)``. A missing or unreadable directory is a
    ``ModelFormatError`` (a ``ValueError``) naming it.
    """
    return load_model(path)
