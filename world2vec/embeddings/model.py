"""The Model facade: word/concept vectors plus the encoders saved beside them.

Why a facade: the memory and service layers need one object that turns concepts,
texts and objects into vectors of the same space, without knowing which encoder is
trained how. A model directory (docs/ARCHITECTURE.md) holds the word vectors and
optional component folders::

    sentence/default          name of the encoder encode_texts uses ("sif", ...)
    sentence/concept_query.json  the head that asks texts against concepts (optional)
    sentence/<name>/          one folder per sentence encoder (config.json + arrays)
    objects/                  the object encoder (config.json + arrays)
    relations/<name>.npy|json relation transforms

``load_model()`` with no path opens the bundled default model shipped in
``world2vec/models/default``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

from world2vec.embeddings.keyed import KeyedVectors
from world2vec.embeddings.objects import ObjectEncoder
from world2vec.embeddings.relation_fitting import transform as relation_neighbours
from world2vec.embeddings.relations import RelationTransform, load_relations
from world2vec.embeddings.sentences import SentenceEncoder, load_sentence_encoder
from world2vec.embeddings.sentences.concept_query import (
    ConceptQuery,
    blended,
    head_vectors,
    read_concept_query,
    write_concept_query,
)
from world2vec.embeddings.sentences.sif import SIFEncoder
from world2vec.embeddings.staging import staged_directory
from world2vec.embeddings.words.vectors import ModelFormatError, WordVectors
from world2vec.paths import DEFAULT_MODEL_DIR


class Model:
    """Concepts, texts and objects encoded into one vector space (unit float32 rows)."""

    def __init__(self, words: WordVectors, path: str | None = None,
                 sentence_encoders: dict[str, SentenceEncoder] | None = None,
                 default_sentence: str | None = None,
                 objects: ObjectEncoder | None = None,
                 relations: dict[str, RelationTransform] | None = None,
                 concept_query: ConceptQuery | None = None) -> None:
        self.words = words
        self.path = path
        self.sentence_encoders = dict(sentence_encoders or {})
        if not self.sentence_encoders:
            self.sentence_encoders["sif"] = SIFEncoder(words)
        self.default_sentence = (default_sentence if default_sentence in self.sentence_encoders
                                 else next(iter(self.sentence_encoders)))
        self.objects = objects or ObjectEncoder(words)
        self.relations = dict(relations or {})
        self.concept_query = (concept_query if concept_query is not None
                              and concept_query.encoder in self.sentence_encoders
                              and concept_query.encoder != self.default_sentence else None)

    # -- identity ------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.words.name

    @property
    def dim(self) -> int:
        return self.words.dim

    @property
    def events_path(self) -> str | None:
        return self.words.events_path

    @cached_property
    def wv(self) -> KeyedVectors:
        """The word vectors with gensim's KeyedVectors names and semantics (``model.wv``)."""
        return KeyedVectors(self.words)

    def __repr__(self) -> str:
        return (f"Model(name={self.name!r}, dim={self.dim}, words={len(self.words)}, "
                f"sentence={self.default_sentence!r}, relations={sorted(self.relations)})")

    # -- encoders ------------------------------------------------------------------
    def encode_concepts(self, words: Sequence[str]) -> tuple[np.ndarray, list[bool]]:
        """Unit vectors of concepts and whether each was synthesized from subwords.

        ``KeyError`` names the first concept that cannot be encoded at all.
        """
        if isinstance(words, str):
            raise TypeError("encode_concepts takes a list of concepts, not one string")
        out = np.empty((len(words), self.dim), dtype=np.float32)
        synthesized: list[bool] = []
        for row, word in enumerate(words):
            if not isinstance(word, str) or not word.strip():
                raise KeyError(word)
            vec, synth = self.words.vector(word)
            out[row] = vec
            synthesized.append(bool(synth))
        return out, synthesized

    def sentence_encoder(self, name: str | None = None) -> SentenceEncoder:
        key = name or self.default_sentence
        if key not in self.sentence_encoders:
            raise KeyError(f"no sentence encoder {key!r}; have {sorted(self.sentence_encoders)}")
        return self.sentence_encoders[key]

    def encode_texts(self, texts: Sequence[str], encoder: str | None = None,
                     batch_size: int = 1024) -> np.ndarray:
        """Unit float32 rows; ``ValueError`` names a text with no word the model knows."""
        if isinstance(texts, str):
            raise TypeError("encode_texts takes a list of texts, not one string")
        return self.sentence_encoder(encoder).encode(list(texts), batch_size=batch_size)

    def encode(self, texts: Sequence[str], batch_size: int = 1024) -> np.ndarray:
        """Sentence vectors of ``texts``: an (n, dim) float32 array of unit rows.

        The same as :meth:`encode_texts` with the default encoder, under the name
        sentence-embedding libraries use.
        """
        return np.asarray(self.encode_texts(texts, batch_size=batch_size), dtype=np.float32)

    def encode_concept_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Texts as questions to the concepts ("which concept does this describe?"):
        the default sentence vector, blended with the model's reverse-dictionary head
        when it has one (``sentences/concept_query.py``). Unit float32 rows; the errors
        are :meth:`encode_texts`'s."""
        default = self.encode_texts(texts)
        query = self.concept_query
        if query is None:
            return default
        head = head_vectors(self.sentence_encoders[query.encoder], list(texts))
        return blended(head, default, query.blend)

    def encode_objects(self, objects: Sequence[dict[str, Any]]) -> np.ndarray:
        """Objects given as ``{"id", "features", "relations"}`` -> unit float32 rows."""
        return self.objects.encode(objects)

    def transform(self, relation: str | RelationTransform, concept: str,
                  k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` concepts nearest to ``relation(concept)`` (one of ``relations`` or a
        given transform), the input excluded; ``KeyError`` for an unknown relation or concept."""
        return relation_neighbours(self, relation, concept, k)

    # -- files ---------------------------------------------------------------------
    def save(self, path: str, dtype: str = "float16",
             extra_json: dict[str, dict] | None = None,
             extra_text: dict[str, str] | None = None) -> str:
        """Write a new, complete model directory (atomically: staged, then renamed).

        ``extra_json`` adds files such as ``build.json`` (name -> JSON object) and
        ``extra_text`` plain files such as ``NOTICE.txt`` before the directory appears,
        so a model directory is never edited after the fact.
        """
        path = os.path.abspath(path)
        with staged_directory(path) as inner:
            self.words.save(inner, dtype=dtype)
            components = []
            sentence_dir = os.path.join(inner, "sentence")
            for name, encoder in self.sentence_encoders.items():
                encoder.save(os.path.join(sentence_dir, name))
            with open(os.path.join(sentence_dir, "default"), "w", encoding="utf-8") as f:
                f.write(self.default_sentence + "\n")
            if self.concept_query is not None:
                write_concept_query(sentence_dir, self.concept_query)
            components.append("sentence")
            self.objects.save(os.path.join(inner, "objects"))
            components.append("objects")
            if self.relations:
                for transform in self.relations.values():
                    transform.save(os.path.join(inner, "relations"))
                components.append("relations")
            manifest_path = os.path.join(inner, "manifest.json")
            with open(manifest_path, encoding="utf-8") as f:
                manifest = json.load(f)
            manifest["components"] = list(manifest.get("components", [])) + components
            manifest["sentence_encoders"] = sorted(self.sentence_encoders)
            manifest["default_sentence_encoder"] = self.default_sentence
            manifest["relations"] = sorted(self.relations)
            with open(manifest_path, "w", encoding="utf-8") as f:
                json.dump(manifest, f, indent=2)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            extras = {n: json.dumps(o, indent=2) + "\n" for n, o in (extra_json or {}).items()}
            extras.update(extra_text or {})
            for name, text in extras.items():
                if os.sep in name or name.startswith(".") or name in os.listdir(inner):
                    raise ValueError(f"extra file name must be a new plain name: {name!r}")
                with open(os.path.join(inner, name), "w", encoding="utf-8") as f:
                    f.write(text)
        return path


def load_model(path: str | None = None, mmap: bool = True) -> Model:
    """Open a model directory (``None``: the bundled default model).

    ``ModelFormatError`` (a ``ValueError``) for a missing or unreadable directory.
    """
    path = os.path.abspath(os.fspath(path)) if path is not None else DEFAULT_MODEL_DIR
    if not os.path.isdir(path):
        raise ModelFormatError(f"model directory not found: {path}")
    words = WordVectors.load(path, mmap=mmap)
    sentence_encoders: dict[str, SentenceEncoder] = {}
    default = None
    concept_query = None
    sentence_dir = os.path.join(path, "sentence")
    try:
        if os.path.isdir(sentence_dir):
            for name in sorted(os.listdir(sentence_dir)):
                folder = os.path.join(sentence_dir, name)
                if os.path.isdir(folder):
                    sentence_encoders[name] = load_sentence_encoder(folder, words)
            default_file = os.path.join(sentence_dir, "default")
            if os.path.isfile(default_file):
                with open(default_file, encoding="utf-8") as f:
                    default = f.read().strip()
            concept_query = read_concept_query(sentence_dir)
        objects_dir = os.path.join(path, "objects")
        objects = ObjectEncoder.load(objects_dir, words) if os.path.isdir(objects_dir) else None
        relations = load_relations(os.path.join(path, "relations"))
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"cannot read model components in {path}: {exc}") from exc
    return Model(words, path, sentence_encoders, default, objects, relations, concept_query)
