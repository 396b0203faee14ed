"""What one service process holds: the model, the memory, the reader, the metrics.

Why a class of its own: the routes stay thin (parse, call, shape the answer) and
every translation from a lower layer's exception into a problem+json answer lives
here once - an unknown concept is always the same 404 with the same suggestions,
whichever route met it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from world2vec.memory import Hit, MemoryStore
from world2vec.service.config import ServiceConfig
from world2vec.service.errors import ApiError, BadRequest, NotFound
from world2vec.service.metrics import Metrics

log = logging.getLogger("world2vec.service")

READER_FILE = "reader.npz"  # optional trained MemoryReader parameters in a model directory


class ServiceState:
    """The model and the memory of one server process (shared by its request threads)."""

    def __init__(self, config: ServiceConfig, model: Any, store: MemoryStore):
        self.config = config
        self.model = model
        self.store = store
        self.metrics = Metrics()
        self.started_at = time.time()
        self._reader = None
        self._reader_lock = threading.Lock()

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    @property
    def reader(self) -> Any:
        """The memory-network reader, built on first use (it pulls in the engine)."""
        with self._reader_lock:  # two first requests at once must not build two readers
            if self._reader is None:
                from world2vec.memory import MemoryReader
                reader = MemoryReader(self.store, self.model.encode_texts)
                trained = os.path.join(getattr(self.model, "path", None) or "", READER_FILE)
                if getattr(self.model, "path", None) and os.path.isfile(trained):
                    reader.load(trained)  # parameters trained for this model, if shipped
                self._reader = reader
        return self._reader

    def close(self) -> None:
        """Snapshot and release the data directory (called when the worker exits)."""
        try:
            self.store.close()
        except Exception:  # closing twice, or a store already failed: nothing to add
            log.exception("closing the memory store")

    # -- concepts -----------------------------------------------------------------
    def unknown_concept(self, word: str, param: str | None = None) -> ApiError:
        suggestions = self.model.words.suggest(word, 5) if word else []
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        return NotFound(f"unknown concept {word!r}{hint}", slug="unknown-concept",
                        concept=word, suggestions=suggestions, param=param)

    def concept_vector(self, word: str, param: str = "concept") -> tuple[np.ndarray, bool]:
        """Unit vector of a vocabulary word, or synthesized from its subwords (flagged)."""
        try:
            vec, synthesized = self.model.words.vector(word)
        except KeyError:
            raise self.unknown_concept(word, param) from None
        return np.asarray(vec, dtype=np.float32), bool(synthesized)

    def known_concept(self, word: str, param: str | None = None) -> np.ndarray:
        """Unit vector of a word that must be in the vocabulary (arithmetic, analogies)."""
        if word not in self.model.words:
            raise self.unknown_concept(word, param)
        return np.asarray(self.model.words.vector(word)[0], dtype=np.float32)

    def encode_concepts(self, words: list[str], param: str) -> tuple[np.ndarray, list[bool]]:
        try:
            vectors, synthesized = self.model.encode_concepts(words)
        except KeyError as exc:
            word = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            raise self.unknown_concept(word, param) from None
        return np.asarray(vectors, dtype=np.float32), [bool(s) for s in synthesized]

    def encode_texts(self, texts: list[str], param: str = "text") -> np.ndarray:
        """Sentence vectors; a text with nothing the model knows is a 400 naming it."""
        try:
            return np.asarray(self.model.encode_texts(texts), dtype=np.float32)
        except (ValueError, KeyError) as exc:
            raise BadRequest(f"cannot encode the text: {exc}", param=param,
                             slug="unencodable-text") from None

    def concept_hits(self, query: np.ndarray, k: int, exclude: Iterable[str] = ()) -> list[dict]:
        pairs = self.model.words.nearest(query, k, exclude=tuple(exclude))
        return [{"id": w, "score": float(s), "kind": "concept", "text": w, "payload": {}}
                for w, s in pairs]

    # -- projection for the web page -----------------------------------------------
    def concept_vectors(self, words: list[str]) -> np.ndarray:
        return np.stack([np.asarray(self.model.words.vector(w)[0], dtype=np.float32)
                         for w in words]) if words else np.zeros((0, self.dim), np.float32)


def memory_hit(hit: Hit) -> dict:
    """A stored item as a result row (DESIGN.md's shape plus tags, answer, created_at).

    The hit's item is already the store's private copy (tags, payload), so it is
    used as is: this runs for every result of every search.
    """
    item = hit.item
    return {"id": hit.id, "score": hit.score, "kind": item.kind, "text": item.text,
            "payload": item.payload, "tags": item.tags, "answer": item.answer,
            "created_at": item.created_at}


def item_document(item: Any, with_vector: bool = True) -> dict:
    doc = {"id": item.id, "kind": item.kind, "text": item.text, "tags": list(item.tags),
           "payload": item.payload, "answer": item.answer, "created_at": item.created_at}
    if with_vector and item.vector is not None:
        doc["vector"] = np.asarray(item.vector, dtype=np.float32)
    return doc


def pca_2d(query: np.ndarray, points: np.ndarray) -> dict:
    """2D PCA of the query and its neighbours, for the page's plot.

    Why on the server: numpy's SVD is exact and a few microseconds for 1 + k rows;
    the browser then only draws. Coordinates are scaled into [-1, 1].
    """
    rows = np.vstack([query.reshape(1, -1), points]).astype(np.float64)
    centred = rows - rows.mean(axis=0, keepdims=True)
    if rows.shape[0] < 2 or not np.any(centred):
        coords = np.zeros((rows.shape[0], 2))
        explained = [0.0, 0.0]
    else:
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        comps = vt[:2]
        coords = centred @ comps.T
        if coords.shape[1] < 2:
            coords = np.hstack([coords, np.zeros((coords.shape[0], 1))])
        var = s ** 2
        explained = [float(v / var.sum()) for v in var[:2]] + [0.0] * (2 - min(2, len(var)))
        scale = float(np.max(np.abs(coords))) or 1.0
        coords = coords / scale
    return {"query": [float(coords[0, 0]), float(coords[0, 1])],
            "points": [[float(x), float(y)] for x, y in coords[1:]],
            "explained": explained}
