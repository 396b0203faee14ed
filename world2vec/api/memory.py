"""Memory: the service's memory, in process, with the client's method names and results.

Why: a notebook, a script or a test should not need a server to store and search
thought vectors, and code should move between the two by changing one line
(``Client(url)`` <-> ``Memory(path)``). So the methods, their arguments, their results
(:mod:`world2vec.api.results`) and their errors (:mod:`world2vec.api.errors`) are the
client's, and what they compute is what the service's routes compute: the model
encodes texts and concepts, the :class:`~world2vec.memory.MemoryStore` stores and
searches, the memory-network reader answers questions.

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

from world2vec.api.errors import BadRequest, Conflict, NotFound
from world2vec.api.results import Answer, Health, Hit, Hits, Item
from world2vec.embeddings.model import load_model
from world2vec.memory import Item as StoredItem
from world2vec.memory import ItemExists, MemoryStore, ValidationError
from world2vec.memory.reader import DEFAULT_MODES, SEARCH_MODES, search_mode

MAX_K = 1000        # the service's default bounds (DESIGN.md), so both refuse the same calls
MAX_HOPS = 10
READER_FILE = "reader.npz"  # trained reader parameters shipped in a model directory (as served)


def _check_bound(name: str, value: Any, upper: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not 1 <= int(value) <= upper:
        raise BadRequest(f"'{name}' must be from 1 to {upper}, got {value!r}", param=name,
                         slug="out-of-range")
    return int(value)


def _one_of(**given: Any) -> str:
    names = [name for name, value in given.items() if value is not None]
    if len(names) != 1:
        raise ValueError(f"give exactly one of {', '.join(given)}")
    return names[0]


def _memory_hit(hit: Any) -> Hit:
    item = hit.item
    return Hit(id=hit.id, score=float(hit.score), kind=item.kind, text=item.text,
               payload=item.payload, tags=list(item.tags), answer=item.answer,
               extra={"created_at": item.created_at})


class Memory:
    """A memory in a data directory, opened in this process.

    ``Memory("path/to/data", model=None)``: ``model`` is a loaded model, a model
    directory, or None for the bundled default. ``index`` is the memory index kind
    (``auto``, ``flat``, ``hnsw``, ``ivf``, ``ivfpq``), as ``world2vec serve --index``.
    """

    def __init__(self, path: str | os.PathLike, model: Any = None, *, index: str = "auto") -> None:
        if model is None or isinstance(model, (str, os.PathLike)):
            model = load_model(model)
        self.model = model
        self.store = MemoryStore.open(os.path.abspath(os.fspath(path)), int(model.dim), index)
        self._reader = None
        self._reader_lock = threading.Lock()

    @property
    def path(self) -> str:
        return self.store.data_dir

    # -- lifecycle ------------------------------------------------------------------
    def close(self) -> None:
        """Snapshot and release the data directory; the memory must not be used afterwards."""
        self.store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Memory({self.path!r}, model={self.model.name!r})"

    # -- model queries --------------------------------------------------------------
    def health(self) -> Health:
        """Status, model name and dimension, number of stored items."""
        return Health(status="ok", model=self.model.name, dim=int(self.model.dim),
                      items=len(self.store))

    def _unknown_concept(self, word: str, param: str | None = None) -> NotFound:
        suggestions = self.model.words.suggest(word, 5) if word else []
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        return NotFound(f"unknown concept {word!r}{hint}", slug="unknown-concept", concept=word,
                        suggestions=suggestions, param=param)

    def _concept_vector(self, word: str, param: str = "concept") -> tuple[np.ndarray, bool]:
        if not isinstance(word, str) or not word.strip():
            raise BadRequest(f"'{param}' must be a non-empty string", param=param)
        try:
            vec, synthesized = self.model.words.vector(word)
        except KeyError:
            raise self._unknown_concept(word, param) from None
        return np.asarray(vec, dtype=np.float32), bool(synthesized)

    def _text_vector(self, text: str, param: str = "text") -> np.ndarray:
        if not isinstance(text, str) or not text.strip():
            raise BadRequest(f"'{param}' must be a non-empty string", param=param)
        try:
            return np.asarray(self.model.encode_texts([text]), dtype=np.float32)[0]
        except (ValueError, KeyError) as exc:
            raise BadRequest(f"cannot encode the text: {exc}", param=param,
                             slug="unencodable-text") from None

    def similar(self, concept: str | None = None, k: int = 10, *, text: str | None = None,
                id: str | None = None, kind: str | None = None,
                filter: Mapping[str, Any] | None = None) -> Hits:
        """Nearest concepts to a concept or a text, or nearest memories to a stored one.

        With ``kind`` (other than ``"concept"``) or ``filter``, a concept or text query
        searches the stored memories instead of the vocabulary.
        """
        source = _one_of(concept=concept, text=text, id=id)
        k = _check_bound("k", k, MAX_K)
        flt = dict(filter) if filter is not None else None
        if kind is not None:
            if flt and "kind" in flt and flt["kind"] != kind:
                raise BadRequest("'kind' and the filter's kind disagree", param="kind")
            flt = {**(flt or {}), "kind": kind}
        info: dict[str, Any] = {"query": {source: {"concept": concept, "text": text, "id": id}[source]}}
        if source == "id":
            try:
                hits = self.store.search_by_id(id, k, filter=flt)
            except ValidationError as exc:
                raise BadRequest(str(exc), param="filter", slug="bad-filter") from None
            if hits is None:
                raise NotFound(f"no stored memory has id {id!r}", slug="unknown-id", id=id)
            return Hits([_memory_hit(h) for h in hits], info)
        exclude: list[str] = []
        if source == "concept":
            vec, synthesized = self._concept_vector(concept)
            info["synthesized"] = synthesized
            info["query"]["synthesized"] = synthesized
            exclude = [] if synthesized else [concept]
        else:
            vec = self._text_vector(text)
        if kind not in (None, "concept") or flt is not None:
            return Hits(self._search_vector(vec, k, flt), info)
        pairs = self.model.words.nearest(vec, k, exclude=tuple(exclude))
        return Hits([Hit(id=w, score=float(s), kind="concept", text=w) for w, s in pairs], info)

    def analogy(self, a: str, b: str, c: str, k: int = 10, method: str = "add") -> Hits:
        """``a : b :: c : ?`` by 3CosAdd (``method="add"``) or 3CosMul (``"mul"``)."""
        k = _check_bound("k", k, MAX_K)
        if method not in ("add", "mul"):
            raise BadRequest(f"'method' must be add or mul, got {method!r}", param="method")
        for name, word in (("a", a), ("b", b), ("c", c)):
            if not isinstance(word, str) or word not in self.model.words:
                raise self._unknown_concept(str(word), name)
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
                raise self._unknown_concept(word, "concepts") from None
            return np.asarray(vectors, dtype=np.float32)
        try:
            return np.asarray(self.model.encode_texts(values), dtype=np.float32)
        except (ValueError, KeyError) as exc:
            raise BadRequest(f"cannot encode the text: {exc}", param="texts",
                             slug="unencodable-text") from None

    # -- memories -------------------------------------------------------------------
    def add(self, items: Iterable[Mapping[str, Any] | Item], *, upsert: bool = True) -> list[str]:
        """Store items and return their ids (generated for items without one).

        Each item is a mapping (or :class:`Item`) with ``id`` (optional), ``text`` and/or
        ``vector``, ``kind``, ``tags``, ``payload``, ``answer``; an item with only text is
        encoded by the model. An existing id is replaced (upsert); ``upsert=False``
        raises :class:`Conflict` instead. The batch is written whole or not at all.
        """
        if isinstance(items, (Mapping, Item, str)):
            raise TypeError("items must be a list of items")
        batch = [self._stored_item(obj, i) for i, obj in enumerate(items)]
        if not batch:
            return []
        self._encode_missing(batch)
        try:
            return self.store.upsert(batch) if upsert else self.store.add(batch)
        except ItemExists as exc:
            raise Conflict(str(exc), slug="item-exists", id=exc.item_id,
                           position=exc.position) from None
        except ValidationError as exc:
            raise BadRequest(str(exc), param="items", slug="invalid-item", position=exc.position,
                             id=exc.item_id) from None

    def upsert(self, items: Iterable[Mapping[str, Any] | Item]) -> list[str]:
        """:meth:`add` with ``upsert=True`` (the default), for code that wants to say so."""
        return self.add(items, upsert=True)

    def _stored_item(self, obj: Any, position: int) -> StoredItem:
        if isinstance(obj, Item):
            obj = {"id": obj.id, "kind": obj.kind, "text": obj.text, "tags": obj.tags,
                   "payload": obj.payload, "answer": obj.answer, "vector": obj.vector}
            obj = {k: v for k, v in obj.items() if v is not None}
        elif not isinstance(obj, Mapping):
            raise TypeError(f"item {position}: expected a mapping or Item, got {type(obj).__name__}")
        try:
            item = StoredItem.from_dict(dict(obj), position)
        except ValidationError as exc:
            raise BadRequest(str(exc), param="items", slug="invalid-item", position=position,
                             id=exc.item_id) from None
        dim = int(self.model.dim)
        if item.vector is not None and item.vector.shape[0] != dim:
            raise BadRequest(f"item {position}: 'vector' has dimension {item.vector.shape[0]}, the "
                             f"model's is {dim}", param="items", slug="wrong-dimension",
                             position=position, id=item.id)
        if item.vector is None and not (item.text and item.text.strip()):
            raise BadRequest(f"item {position}: give 'text' (to be encoded) or 'vector'",
                             param="items", slug="invalid-item", position=position, id=item.id)
        return item

    def _encode_missing(self, items: list[StoredItem]) -> None:
        todo = [i for i, item in enumerate(items) if item.vector is None]
        if not todo:
            return
        try:
            vectors = np.asarray(self.model.encode_texts([items[i].text for i in todo]), np.float32)
        except (ValueError, KeyError):
            for i in todo:  # find the text that cannot be encoded, to name it
                try:
                    self.model.encode_texts([items[i].text])
                except (ValueError, KeyError) as exc:
                    raise BadRequest(f"item {i}: cannot encode its text: {exc}", param="items",
                                     slug="unencodable-text", position=i, id=items[i].id) from None
            raise
        for row, i in enumerate(todo):
            items[i].vector = vectors[row]

    def get(self, id: str) -> Item:
        """One stored memory (with its unit vector); :class:`NotFound` when there is none."""
        stored = self.store.get(self._check_id(id))
        if stored is None:
            raise NotFound(f"no stored memory has id {id!r}", slug="unknown-id", id=id)
        return Item(id=stored.id, kind=stored.kind, text=stored.text, tags=list(stored.tags),
                    payload=stored.payload, answer=stored.answer, created_at=stored.created_at,
                    vector=np.asarray(stored.vector, dtype=np.float32))

    def delete(self, id: str, *, missing_ok: bool = False) -> bool:
        """Remove one memory. True if removed; an absent id raises :class:`NotFound`, or
        returns False with ``missing_ok=True``."""
        if self.store.delete(self._check_id(id)):
            return True
        if missing_ok:
            return False
        raise NotFound(f"no stored memory has id {id!r}", slug="unknown-id", id=id)

    @staticmethod
    def _check_id(item_id: Any) -> str:
        if not isinstance(item_id, str) or not item_id:
            raise ValueError("id must be a non-empty string")
        return item_id

    def _search_vector(self, vec: np.ndarray, k: int, flt: Mapping[str, Any] | None) -> list[Hit]:
        try:
            return [_memory_hit(h) for h in self.store.search(vec, k, filter=flt)]
        except ValidationError as exc:
            raise BadRequest(str(exc), param="filter", slug="bad-filter") from None

    def search(self, text: str | None = None, *, vector: Any = None, concept: str | None = None,
               k: int = 10, filter: Mapping[str, Any] | None = None,
               mode: str | None = None) -> Hits:
        """Nearest stored memories to a text, a vector or a concept, optionally filtered,
        in a mode: dense, lexical (BM25) or hybrid; by default the service's
        (``memory.reader.DEFAULT_MODES``: hybrid for text, dense otherwise)."""
        source = _one_of(text=text, vector=vector, concept=concept)
        k = _check_bound("k", k, MAX_K)
        if filter is not None and not isinstance(filter, Mapping):
            raise BadRequest(f"'filter' must be an object, got {type(filter).__name__}",
                             param="filter")
        if mode is not None and mode not in SEARCH_MODES:
            raise BadRequest(f"'mode' must be one of {', '.join(SEARCH_MODES)}, got {mode!r}",
                             param="mode")
        mode = mode or DEFAULT_MODES[source]
        if source == "vector" and mode != "dense":
            raise BadRequest(f"a vector query is searched in dense mode only ({mode} ranks the "
                             f"words of a 'text' or 'concept')", param="mode")
        if source == "vector":
            vec = np.asarray(vector, dtype=np.float32).reshape(-1)
            if vec.shape[0] != self.model.dim:
                raise BadRequest(f"'vector' has dimension {vec.shape[0]}, the model's is "
                                 f"{self.model.dim}", param="vector", slug="wrong-dimension")
        elif source == "concept":
            vec = self._concept_vector(concept)[0]
        elif mode == "dense":
            vec = self._text_vector(text)
        elif mode == "hybrid":
            vec = self._text_vector_or_none(text)
        else:
            vec = None
        if mode == "dense":
            return Hits(self._search_vector(vec, k, filter))
        try:
            hits = search_mode(self.store, mode, k, text=text if source == "text" else concept,
                               vector=vec, filter=filter)
        except ValidationError as exc:
            raise BadRequest(str(exc), param="filter", slug="bad-filter") from None
        return Hits([_memory_hit(h) for h in hits])

    def _text_vector_or_none(self, text: str) -> np.ndarray | None:
        """A text's vector, or None when the model knows none of its words (hybrid then
        ranks by BM25 alone), as the service does."""
        try:
            return self._text_vector(text)
        except BadRequest as exc:
            if exc.type.endswith("/unencodable-text"):
                return None
            raise

    @property
    def reader(self) -> Any:
        """The memory-network reader, built on first use (it pulls in the engine)."""
        with self._reader_lock:
            if self._reader is None:
                from world2vec.memory import MemoryReader
                reader = MemoryReader(self.store, self.model.encode_texts)
                trained = os.path.join(getattr(self.model, "path", None) or "", READER_FILE)
                if getattr(self.model, "path", None) and os.path.isfile(trained):
                    reader.load(trained)
                self._reader = reader
        return self._reader

    def qa(self, question: str, k: int | None = None, hops: int | None = None, *,
           filter: Mapping[str, Any] | None = None) -> list[Answer]:
        """Answers to a question from the stored memories, each with its supporting ids
        (``k`` answers, default 5, after ``hops`` reasoning steps, default 2)."""
        if not isinstance(question, str) or not question.strip():
            raise BadRequest("'question' must be a non-empty string", param="question")
        k = _check_bound("k", 5 if k is None else k, MAX_K)
        hops = _check_bound("hops", 2 if hops is None else hops, MAX_HOPS)
        try:
            answers = self.reader.answer(question, k=k, hops=hops,
                                         filter=None if filter is None else dict(filter))
        except ValidationError as exc:
            raise BadRequest(str(exc), param="filter" if filter else "question") from None
        except (ValueError, KeyError) as exc:
            raise BadRequest(f"cannot encode the question: {exc}", param="question",
                             slug="unencodable-text") from None
        return [Answer(id=a.id, answer=a.answer, score=float(a.score), support=list(a.support))
                for a in answers]
