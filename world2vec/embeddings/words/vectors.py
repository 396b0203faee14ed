"""WordVectors: a trained (or imported) word/concept vector model, queried by cosine.

Why keep both raw and unit rows: formats and further training want the raw
vectors, while every query (nearest, analogies) is a cosine, which is a plain
dot product over unit rows. Unit rows are computed once, lazily.

Unseen words: when the model carries fastText-style n-gram vectors trained
jointly with the words, an out-of-vocabulary word gets the mean of its n-gram
vectors; when its n-gram vectors were fitted after training (the default
model), its spelling neighbours in the vocabulary decide instead
(``subword_neighbours``). Either way it is flagged as *synthesized*
(``vector()`` returns ``(vec, True)``); without n-grams, or when none of its
n-grams can be built, ``KeyError``. Unseen words are built a batch at a time and
remembered in a bounded cache (``unseen``), so a word that recurs costs a lookup.

Model directory layout (see docs/ARCHITECTURE.md): ``manifest.json``,
``words.txt``, ``vectors.npy``, ``counts.npy``, optional ``ngrams.npy`` and
``events.jsonl``. Saving writes to a temporary sibling directory and renames
it into place, so a model directory is never seen half-written, and an
existing non-empty directory is never overwritten (models are immutable).
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
from collections.abc import Iterable, Sequence

import numpy as np

from world2vec.embeddings.staging import staged_directory
from world2vec.embeddings.words.tokenizer import Tokenizer
from world2vec.embeddings.words.unseen import DEFAULT_CACHE_SIZE, UnseenWords
from world2vec.engine.linalg import unit_rows

FORMAT_VERSION = 1
_EPS = 1e-12


class ModelFormatError(ValueError):
    """A model directory that is missing, incomplete or inconsistent."""


class WordVectors:
    """Words (most frequent first), their counts and vectors; optional n-gram vectors."""

    def __init__(self, words: Sequence[str], vectors: np.ndarray, counts: np.ndarray | None = None,
                 *, ngrams: np.ndarray | None = None, min_n: int = 3, max_n: int = 6,
                 name: str = "word2vec", settings: dict | None = None,
                 tokenizer: Tokenizer | None = None, events_path: str | None = None,
                 unseen_cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        vectors = np.asarray(vectors) if not isinstance(vectors, np.memmap) else vectors
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"vectors have shape {vectors.shape}, expected ({len(words)}, dim)")
        self.words = list(words)
        self.vectors = vectors if vectors.dtype == np.float32 else vectors.astype(np.float32)
        self.counts = (np.asarray(counts, dtype=np.int64) if counts is not None
                       else np.arange(len(words), 0, -1, dtype=np.int64))
        self.ngrams = None if ngrams is None else (
            ngrams if ngrams.dtype == np.float32 else ngrams.astype(np.float32))
        self.min_n, self.max_n = int(min_n), int(max_n)
        self.name = name
        self.settings = dict(settings or {})
        self.tokenizer = tokenizer or Tokenizer()
        self.events_path = events_path
        #: token -> row, exact spelling (gensim's KeyedVectors name); read-only by contract
        self.key_to_index: dict[str, int] = {w: i for i, w in enumerate(self.words)}
        self._normed: np.ndarray | None = None
        self._trigrams: dict[str, np.ndarray] | None = None
        # n-grams fitted after training generalise poorly: spelling neighbours decide then
        self._unseen = UnseenWords(self.words, self.ngrams, self.min_n, self.max_n,
                                   by_spelling="ngram_fit" in self.settings,
                                   cache_size=unseen_cache_size)

    # -- basic lookups ---------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._lookup(word) is not None

    def _lookup(self, word: str) -> int | None:
        i = self.key_to_index.get(word)
        if i is None:
            i = self.key_to_index.get(self.tokenizer.normalize(word))
        return i

    def index(self, word: str) -> int:
        """Row of ``word`` (also tried normalized, e.g. lowercased); KeyError if absent."""
        i = self._lookup(word)
        if i is None:
            raise KeyError(word)
        return i

    def token_rows(self, tokens: Iterable[str]) -> tuple[list[int], list[np.ndarray]]:
        """Rows of the known ``tokens`` (exact spelling, in order), and unit vectors
        synthesized from subwords for the others (see :meth:`vector`), in order; a token
        nothing can be built for is skipped.

        Why: every encoder turns tokens into "vocabulary rows to gather plus a few
        synthesized vectors"; known words stay rows so callers can weight them by row.
        The unseen tokens are resolved together (see :meth:`unseen_vectors`).
        """
        rows: list[int] = []
        unseen: list[str] = []
        index = self.key_to_index
        for token in tokens:
            i = index.get(token)
            if i is None:
                unseen.append(token)
            else:
                rows.append(i)
        if not unseen:
            return rows, []
        vectors = self.unseen_vectors(unseen)
        return rows, [vectors[t] for t in unseen if t in vectors]

    def unseen_vectors(self, tokens: Iterable[str]) -> dict[str, np.ndarray]:
        """Unit vectors of ``tokens`` outside the vocabulary's exact spellings, by token:
        a normalized spelling's row (e.g. lowercased), else a vector synthesized from
        subwords as :meth:`vector` does; tokens nothing can be built for are left out.

        Why: all the distinct unseen tokens of a batch are built in one pass, and
        remembered, instead of one vocabulary-wide search per occurrence.
        """
        out: dict[str, np.ndarray] = {}
        keys: dict[str, str] = {}
        index, normalize = self.key_to_index, self.tokenizer.normalize
        for token in dict.fromkeys(tokens):
            key = normalize(token)
            i = index.get(token, index.get(key))
            if i is not None:
                out[token] = self.normed[i]
            elif self.ngrams is not None:
                keys[token] = key
        if keys:
            built = self._unseen.resolve(keys.values(), lambda: self.normed)
            for token, key in keys.items():
                vector = built.get(key)
                if vector is not None:
                    out[token] = vector
        return out

    @property
    def normed(self) -> np.ndarray:
        """Unit-length rows (float32), computed on first use."""
        if self._normed is None:
            self._normed = unit_rows(self.vectors)
        return self._normed

    def vector(self, word: str) -> tuple[np.ndarray, bool]:
        """Unit vector of ``word`` and whether it was synthesized from subwords.

        Synthesized vectors are cached and read-only (copy one before changing it).
        """
        i = self._lookup(word)
        if i is not None:
            return self.normed[i], False
        if self.ngrams is not None:
            key = self.tokenizer.normalize(word)
            v = self._unseen.resolve([key], lambda: self.normed).get(key) if key else None
            if v is not None:
                return v, True
        raise KeyError(word)

    # -- similarity queries ----------------------------------------------------
    def nearest(self, vector: np.ndarray, k: int = 10, exclude: Iterable[str] = (),
                restrict: int | None = None) -> list[tuple[str, float]]:
        """The ``k`` words most cosine-similar to ``vector`` (excluding ``exclude``)."""
        v = np.asarray(vector, dtype=np.float32).ravel()
        if v.shape[0] != self.dim:
            raise ValueError(f"vector has dimension {v.shape[0]}, the model {self.dim}")
        norm = float(np.linalg.norm(v))
        if norm <= _EPS or k <= 0:
            return []
        matrix = self.normed if restrict is None else self.normed[:restrict]
        scores = matrix @ (v / norm)
        return self._top(scores, k, exclude)

    def _top(self, scores: np.ndarray, k: int, exclude: Iterable[str]) -> list[tuple[str, float]]:
        skip = {i for i in (self._lookup(w) for w in exclude) if i is not None}
        want = min(k + len(skip), len(scores))
        if want <= 0:
            return []
        top = np.argpartition(-scores, want - 1)[:want] if want < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.words[i], float(scores[i])) for i in top if i not in skip][:k]

    def most_similar(self, positive: str | Sequence[str] = (), negative: str | Sequence[str] = (),
                     k: int = 10) -> list[tuple[str, float]]:
        """gensim's most_similar: mean of unit vectors (+positive, -negative); inputs excluded.

        A plain string is one word (as in gensim), never iterated letter by letter.
        ``model.wv`` (embeddings.keyed) has gensim's full signature.
        """
        positive = [positive] if isinstance(positive, str) else list(positive)
        negative = [negative] if isinstance(negative, str) else list(negative)
        if not positive and not negative:
            raise ValueError("give at least one positive or negative word")
        total = np.zeros(self.dim, dtype=np.float32)
        for w in positive:
            total += self.vector(w)[0]
        for w in negative:
            total -= self.vector(w)[0]
        return self.nearest(total, k, exclude=[*positive, *negative])

    def analogy(self, a: str, b: str, c: str, method: str = "add",
                k: int = 10) -> list[tuple[str, float]]:
        """a : b :: c : ?  by 3CosAdd (b - a + c) or 3CosMul (Levy & Goldberg); inputs excluded."""
        va, vb, vc = (self.vector(w)[0] for w in (a, b, c))
        if method == "add":
            return self.nearest(vb - va + vc, k, exclude=(a, b, c))
        if method == "mul":
            n = self.normed
            pos_b = (1.0 + n @ vb) / 2.0
            pos_c = (1.0 + n @ vc) / 2.0
            neg_a = (1.0 + n @ va) / 2.0
            return self._top(pos_b * pos_c / (neg_a + 1e-6), k, exclude=(a, b, c))
        raise ValueError(f"unknown analogy method {method!r} (use 'add' or 'mul')")

    def suggest(self, word: str, n: int = 5) -> list[str]:
        """Known words spelled like ``word`` (for "did you mean" messages)."""
        key = self.tokenizer.normalize(word)
        if self._trigrams is None:
            grams: dict[str, list[int]] = {}
            for i, w in enumerate(self.words):
                for g in {f"<{w}>"[j:j + 3] for j in range(len(w))}:
                    grams.setdefault(g, []).append(i)
            self._trigrams = {g: np.array(ids, dtype=np.int64) for g, ids in grams.items()}
        padded = f"<{key}>"
        hits = [self._trigrams[g] for g in {padded[j:j + 3] for j in range(len(key))}
                if g in self._trigrams]
        if not hits:
            return []
        shared = np.bincount(np.concatenate(hits), minlength=len(self.words))
        candidates = np.argsort(-shared, kind="stable")[:50]
        candidates = [self.words[i] for i in candidates if shared[i] > 0]
        return difflib.get_close_matches(key, candidates, n=n, cutoff=0.6)

    # -- files -------------------------------------------------------------------
    def manifest(self, dtype: str = "float32") -> dict:
        m = {"format_version": FORMAT_VERSION, "kind": "world2vec.word_vectors", "name": self.name,
             "dim": self.dim, "words": len(self.words), "dtype": dtype,
             "tokenizer": self.tokenizer.to_dict(), "training": self.settings,
             "components": ["words"] + (["ngrams"] if self.ngrams is not None else [])}
        if self.ngrams is not None:
            m["ngrams"] = {"min_n": self.min_n, "max_n": self.max_n, "buckets": len(self.ngrams)}
        return m

    def save(self, path: str | os.PathLike, dtype: str | type = "float32") -> str:
        """Write a new model directory (float32 or float16 storage); returns its path."""
        dtype = np.dtype(dtype).name
        if dtype not in ("float32", "float16"):
            raise ValueError("dtype must be float32 or float16")
        path = os.path.abspath(os.fspath(path))
        with staged_directory(path) as tmp:
            np.save(os.path.join(tmp, "vectors.npy"), np.asarray(self.vectors).astype(dtype, copy=False))
            np.save(os.path.join(tmp, "counts.npy"), self.counts)
            if self.ngrams is not None:
                np.save(os.path.join(tmp, "ngrams.npy"), np.asarray(self.ngrams).astype(dtype, copy=False))
            with open(os.path.join(tmp, "words.txt"), "w", encoding="utf-8") as f:
                f.writelines(w + "\n" for w in self.words)
            if self.events_path and os.path.isfile(self.events_path):
                shutil.copyfile(self.events_path, os.path.join(tmp, "events.jsonl"))
            with open(os.path.join(tmp, "manifest.json"), "w", encoding="utf-8") as f:
                json.dump(self.manifest(dtype), f, indent=2)
                f.write("\n")
            for name in os.listdir(tmp):
                with open(os.path.join(tmp, name), "rb") as f:
                    os.fsync(f.fileno())
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = True) -> WordVectors:
        """Open a model directory; float32 vectors are memory-mapped when ``mmap``."""
        path = os.fspath(path)
        manifest_path = os.path.join(path, "manifest.json")
        if not os.path.isfile(manifest_path):
            raise ModelFormatError(f"{path} is not a model directory (no manifest.json)")
        try:
            with open(manifest_path, encoding="utf-8") as f:
                m = json.load(f)
            with open(os.path.join(path, "words.txt"), encoding="utf-8") as f:
                words = [line.rstrip("\n") for line in f]
            mode = "r" if mmap else None
            vectors = np.load(os.path.join(path, "vectors.npy"), mmap_mode=mode)
            counts = np.load(os.path.join(path, "counts.npy"))
            ngrams = None
            if "ngrams" in m.get("components", []):
                ngrams = np.load(os.path.join(path, "ngrams.npy"), mmap_mode=mode)
        except (OSError, ValueError, json.JSONDecodeError) as exc:
            raise ModelFormatError(f"cannot read model {path}: {exc}") from exc
        if m.get("format_version", 0) > FORMAT_VERSION:
            raise ModelFormatError(f"{path} was written by a newer world2vec "
                                   f"(format {m.get('format_version')})")
        if vectors.shape != (len(words), m.get("dim", -1)) or len(counts) != len(words):
            raise ModelFormatError(f"{path}: words.txt, vectors.npy and counts.npy disagree "
                                   f"({len(words)} words, vectors {vectors.shape})")
        ng = m.get("ngrams", {})
        events = os.path.join(path, "events.jsonl")
        return cls(words, vectors, counts, ngrams=ngrams, min_n=ng.get("min_n", 3),
                   max_n=ng.get("max_n", 6), name=m.get("name", os.path.basename(path)),
                   settings=m.get("training", {}), tokenizer=Tokenizer.from_dict(m.get("tokenizer")),
                   events_path=events if os.path.isfile(events) else None)
