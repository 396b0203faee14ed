"""What the model makes of a call's texts and concepts, refused as the service refuses.

Each function takes the model it encodes with: the Memory's, or for a collection
created with ``model=None`` a :class:`NoModel`, which refuses whatever is asked of it
(the service's ``CollectionScope`` does the same), so "this collection has no model"
is found where a text would be encoded and nowhere else -- a lexical search, which
ranks words without vectors, still works there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from world2vec.api.errors import BadRequest, NotFound
from world2vec.memory import Item as StoredItem


class NoModel:
    """The model of a collection created with ``model=None``: every use is a BadRequest."""

    def __init__(self, collection: str) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        raise BadRequest(f"collection {self._collection!r} has no model (it was created with "
                         f"model: null): give vectors, not text, concepts or objects",
                         slug="no-model", collection=self._collection)


def unknown_concept(model: Any, word: str, param: str | None = None) -> NotFound:
    """The 404 of a word the model cannot give a vector, with close spellings."""
    suggestions = model.words.suggest(word, 5) if word else []
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    return NotFound(f"unknown concept {word!r}{hint}", slug="unknown-concept", concept=word,
                    suggestions=suggestions, param=param)


def concept_vector(model: Any, word: Any, param: str = "concept") -> tuple[np.ndarray, bool]:
    """A concept's vector and whether it was synthesized from subwords."""
    if not isinstance(word, str) or not word.strip():
        raise BadRequest(f"'{param}' must be a non-empty string", param=param)
    words = model.words
    try:
        vec, synthesized = words.vector(word)
    except KeyError:
        raise unknown_concept(model, word, param) from None
    return np.asarray(vec, dtype=np.float32), bool(synthesized)


def text_vector(model: Any, text: Any, param: str = "text",
                concept_query: bool = False) -> np.ndarray:
    """A text's sentence vector (``concept_query``: as a question to the concepts,
    ``Model.encode_concept_queries``); a text with no word the model knows is a
    BadRequest."""
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(f"'{param}' must be a non-empty string", param=param)
    encode = model.encode_concept_queries if concept_query else model.encode_texts
    try:
        return np.asarray(encode([text]), dtype=np.float32)[0]
    except (ValueError, KeyError) as exc:
        raise BadRequest(f"cannot encode the text: {exc}", param=param,
                         slug="unencodable-text") from None


def text_vector_or_none(model: Any, text: str) -> np.ndarray | None:
    """A text's vector, or None when the model knows none of its words (hybrid search then
    ranks by BM25 alone), as the service does."""
    try:
        return text_vector(model, text)
    except BadRequest as exc:
        if exc.type.endswith("/unencodable-text"):
            return None
        raise


def encode_missing(model: Any, items: list[StoredItem]) -> None:
    """Give the items without a vector their text's; the first text that cannot be
    encoded is named (position and id) in the BadRequest."""
    todo = [i for i, item in enumerate(items) if item.vector is None]
    if not todo:
        return
    encode = model.encode_texts
    try:
        vectors = np.asarray(encode([items[i].text for i in todo]), np.float32)
    except (ValueError, KeyError):
        for i in todo:
            try:
                encode([items[i].text])
            except (ValueError, KeyError) as exc:
                raise BadRequest(f"item {i}: cannot encode its text: {exc}", param="items",
                                 slug="unencodable-text", position=i, id=items[i].id) from None
        raise
    for row, i in enumerate(todo):
        items[i].vector = vectors[row]
