"""Memory: the service's memory, in process, with the client's method names and results.

Why: a notebook, a script or a test should not need a server to store and search
thought vectors, and code should move between the two by changing one line
(``Client(url)`` <-> ``Memory(path)``). So the methods, their arguments, their results
(:mod:`world2vec.api.results`) and their errors (:mod:`world2vec.api.errors`) are the
client's, and what they compute is what the service's routes compute: the model
encodes texts and concepts, each collection's :class:`~world2vec.memory.MemoryStore`
stores and searches, the memory-network reader answers questions.

The data directory is opened as ``world2vec serve`` opens it
(:class:`~world2vec.memory.collections.Collections`: ``default`` at its root, the
others under ``collections/``; after a model switch, the model and the stores its
``active-model.json`` names: :mod:`world2vec.api.switched`), so a directory written
by one is read by the other.
The memory methods are :mod:`world2vec.api.memory_ops`' (on ``default`` here, on a
named collection through :meth:`Memory.collection`); this module adds what only the
memory as a whole has: opening and closing, the collections, the model's own queries.

This module sits beside the service, not under it: it wires the memory and the
embeddings layers itself and imports nothing from ``world2vec.service`` (no Flask).
A data directory is locked by whoever opens it, so a Memory and a running server
cannot share one; close the Memory (or use ``with``) to release it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from world2vec.api.checks import MAX_K, check_bound, check_id, one_of
from world2vec.api.collection import Collection, Scope, collection_info
from world2vec.api.encoding import NoModel, concept_vector, text_vector, unknown_concept
from world2vec.api.errors import BadRequest, NotFound, memory_errors
from world2vec.api.memory_ops import MemoryMethods
from world2vec.api.results import CollectionInfo, Health, Hit, Hits, hit_result
from world2vec.api.switched import served_model
from world2vec.embeddings.model import load_model
from world2vec.memory import MemoryStore, StoreClosed
from world2vec.memory.collections import DEFAULT, Collections
from world2vec.memory.collections import Collection as StoredCollection
from world2vec.memory.collections.active_model import resolve_active_model

READER_FILE = "reader.npz"  # trained reader parameters shipped in a model directory (as served)


class Memory(MemoryMethods):
    """A memory in a data directory, opened in this process.

    ``Memory("path/to/data", model=None)``: ``model`` is a loaded model, a model
    directory, or None for the bundled default. A data directory whose served model
    was switched (``POST /models/<name>/activate``) opens as the service opens it: its
    memory is encoded by the activated model, so that model is loaded (under the name
    it was activated by) and a different ``model`` is passed over with a warning.
    ``index`` is the memory index kind (``auto``, ``flat``, ``hnsw``, ``ivf``,
    ``ivfpq``), as ``world2vec serve --index``.
    The memory methods (``add``, ``search``, ``scroll``...) act on the ``default``
    collection; ``collection(name)`` scopes them to another, as on the client.
    """

    def __init__(self, path: str | os.PathLike, model: Any = None, *, index: str = "auto") -> None:
        data = os.path.abspath(os.fspath(path))
        active = resolve_active_model(data)      # ValueError: a pointer that cannot be followed
        if active is not None:      # the service switched models here: open what it serves
            model = served_model(active, model)
        elif model is None or isinstance(model, (str, os.PathLike)):
            model = load_model(model)
        self.model = model
        if active is None:
            self._collections = Collections.open(data, int(model.dim), index)
        else:
            default = MemoryStore.open(active.store_dir, int(model.dim), index)
            try:
                self._collections = Collections.open(data, int(model.dim), index, default=default,
                                                     store_dirs=active.collection_stores)
            except BaseException:
                default.close()
                raise
        self._closed = False
        self._readers: dict[str, tuple[Any, Any]] = {}
        self._reader_lock = threading.Lock()

    @property
    def path(self) -> str:
        return self._collections.data_dir

    @property
    def store(self) -> Any:
        """The ``default`` collection's :class:`~world2vec.memory.MemoryStore`."""
        return self._collections.default.store

    # -- lifecycle ------------------------------------------------------------------
    def close(self) -> None:
        """Snapshot and release every collection; the memory must not be used afterwards."""
        self._closed = True
        self._collections.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Memory({self.path!r}, model={self.model.name!r})"

    # -- collections ----------------------------------------------------------------
    def _scope(self, name: str = DEFAULT) -> Scope:
        """Collection ``name`` as the memory methods see it (:class:`NotFound` if none)."""
        if self._closed:
            raise StoreClosed("this Memory is closed")
        with memory_errors():
            stored = self._collections.get(name)
        model = self.model if stored.model is not None else NoModel(stored.name)
        return Scope(stored, model, self._reader_for)

    def create_collection(self, name: str, dim: int | None = None, metric: str = "cosine",
                          model: str | None = "default") -> Collection:
        """Create a collection and return it; :class:`Conflict` if it exists.

        ``model="default"`` binds it to this memory's model (texts are encoded by it,
        ``dim`` is the model's); ``model=None`` takes vectors you bring, of any ``dim``.
        ``metric`` is ``"cosine"``, ``"dot"`` or ``"l2"``. Names match
        ``[a-z0-9][a-z0-9_-]{0,62}``. The collection is on disk as ``world2vec serve``
        makes one, so a server opening this directory serves it.
        """
        with memory_errors(slug="invalid-collection"):
            self._collections.create(name, dim, metric, model)
        return self.collection(name)

    def collection(self, name: str) -> Collection:
        """The collection ``name``, unchecked (a missing one is :class:`NotFound` when used)."""
        return Collection(self, check_id(name, "collection name"), self._scope)

    def collections(self) -> list[CollectionInfo]:
        """Every collection (``default`` first) with its dim, metric, model and item count."""
        return [collection_info(c) for c in self._collections]

    def collection_info(self, name: str) -> CollectionInfo:
        """One collection's stats, with its ``index`` and ``bytes``; :class:`NotFound` if none."""
        with memory_errors():
            return collection_info(self._collections.get(check_id(name, "collection name")),
                                   detail=True)

    def delete_collection(self, name: str, *, missing_ok: bool = False) -> bool:
        """Remove a collection and all its items. True if removed; an absent one raises
        :class:`NotFound`, or returns False with ``missing_ok=True``; ``default`` cannot
        go (:class:`Conflict`)."""
        check_id(name, "collection name")
        if missing_ok and name not in self._collections:
            return False
        with memory_errors():
            self._collections.delete(name)
        with self._reader_lock:
            self._readers.pop(name, None)
        return True

    def _reader_for(self, collection: StoredCollection, model: Any) -> Any:
        """A collection's memory-network reader, built on first use (it pulls in the
        engine) and again for a collection removed and made anew (a new store)."""
        with self._reader_lock:
            cached = self._readers.get(collection.name)
            if cached is None or cached[0] is not collection.store:
                from world2vec.memory import MemoryReader
                reader = MemoryReader(collection.store, model.encode_texts)
                trained = os.path.join(getattr(self.model, "path", None) or "", READER_FILE)
                if getattr(self.model, "path", None) and os.path.isfile(trained):
                    reader.load(trained)
                cached = self._readers[collection.name] = (collection.store, reader)
        return cached[1]

    @property
    def reader(self) -> Any:
        """The ``default`` collection's memory-network reader."""
        return self._scope().reader

    # -- model queries --------------------------------------------------------------
    def health(self) -> Health:
        """Status, model name and dimension, number of items in ``default``."""
        return Health(status="ok", model=self.model.name, dim=int(self.model.dim),
                      items=len(self._scope().store))

    def similar(self, concept: str | None = None, k: int = 10, *, text: str | None = None,
                id: str | None = None, kind: str | None = None,
                filter: Mapping[str, Any] | None = None) -> Hits:
        """Nearest concepts to a concept or a text, or nearest memories to a stored one.

        With ``kind`` (other than ``"concept"``) or ``filter``, a concept or text query
        searches the stored memories (of ``default``) instead of the vocabulary.
        """
        source = one_of(concept=concept, text=text, id=id)
        k = check_bound("k", k, MAX_K)
        flt = dict(filter) if filter is not None else None
        if kind is not None:
            if flt and "kind" in flt and flt["kind"] != kind:
                raise BadRequest("'kind' and the filter's kind disagree", param="kind")
            flt = {**(flt or {}), "kind": kind}
        info: dict[str, Any] = {"query": {source: {"concept": concept, "text": text, "id": id}[source]}}
        store = self._scope().store
        of_memory = kind not in (None, "concept") or flt is not None   # else: of the concepts
        if source == "id":
            with memory_errors("filter"):
                hits = store.search_by_id(id, k, filter=flt)
            if hits is None:
                raise NotFound(f"no stored memory has id {id!r}", slug="unknown-id", id=id)
            return Hits([hit_result(h) for h in hits], info)
        exclude: list[str] = []
        if source == "concept":
            vec, synthesized = concept_vector(self.model, concept)
            info["synthesized"] = synthesized
            info["query"]["synthesized"] = synthesized
            exclude = [] if synthesized else [concept]
        else:   # asked of the concepts, a text is a concept query; of the memories, a text
            vec = text_vector(self.model, text, concept_query=not of_memory)
        if of_memory:
            with memory_errors("filter"):
                return Hits([hit_result(h) for h in store.search(vec, k, filter=flt)], info)
        pairs = self.model.words.nearest(vec, k, exclude=tuple(exclude))
        return Hits([Hit(id=w, score=float(s), kind="concept", text=w) for w, s in pairs], info)

    def analogy(self, a: str, b: str, c: str, k: int = 10, method: str = "add") -> Hits:
        """``a : b :: c : ?`` by 3CosAdd (``method="add"``) or 3CosMul (``"mul"``)."""
        k = check_bound("k", k, MAX_K)
        if method not in ("add", "mul"):
            raise BadRequest(f"'method' must be add or mul, got {method!r}", param="method")
        for name, word in (("a", a), ("b", b), ("c", c)):
            if not isinstance(word, str) or word not in self.model.words:
                raise unknown_concept(self.model, str(word), name)
        pairs = self.model.words.analogy(a, b, c, method=method, k=k)
        return Hits([Hit(id=w, score=float(s), kind="concept", text=w) for w, s in pairs],
                    {"query": {"a": a, "b": b, "c": c, "method": method}})

    def encode(self, concepts: Iterable[str] | None = None, *,
               texts: Iterable[str] | None = None) -> np.ndarray:
        """Vectors for concepts or texts as a float32 array of shape (n, dim)."""
        if (concepts is None) == (texts is None):
            raise ValueError("give either concepts or texts")
        values = concepts if concepts is not None else texts
        if isinstance(values, str):
            raise ValueError("concepts/texts must be a list of strings, not one string")
        values = list(values)
        if concepts is not None:
            try:
                vectors, _ = self.model.encode_concepts(values)
            except KeyError as exc:
                word = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
                raise unknown_concept(self.model, word, "concepts") from None
            return np.asarray(vectors, dtype=np.float32)
        try:
            return np.asarray(self.model.encode_texts(values), dtype=np.float32)
        except (ValueError, KeyError) as exc:
            raise BadRequest(f"cannot encode the text: {exc}", param="texts",
                             slug="unencodable-text") from None
