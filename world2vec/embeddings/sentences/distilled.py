"""The distilled static encoder: a weighted mean of token rows, in the concept space.

Why this encoder: the model's concept vectors can be built as two unit parts side by
side, ``[alpha * unit(d_w) ; beta * unit(s_w)]``: ``d_w`` a token vector distilled from
a pretrained sentence transformer (world knowledge, sentence geometry; see
``default_model/distill.py``) and ``s_w`` the model's own skip-gram vector (word
similarity and analogies). A text is encoded the same way, part by part:

    part 1 = unit( sum_t n_t unit(d_t) )     n_t = the distilled row's norm (its weight)
    part 2 = unit( sum_t a/(a+p(t)) unit(s_t) )   (SIF weights from the corpus counts)
    text   = [alpha * part 1 ; beta * part 2]          (a one-word text)
    text   = [text_alpha * part 1 ; text_beta * part 2]   (two words or more)

so a one-word text lands exactly on its concept and cosines between texts and
concepts mean the same thing. Why a second weight for longer texts: the skip-gram
part is what makes word similarity and analogies work, but a SIF mean of skip-gram
vectors is a weak sentence vector, while the distilled part was trained on sentences.
Giving the distilled part 0.9 instead of 0.7 on texts of two or more words raised
every sentence figure of ``bench/bench_vectors.py`` (document similarity on Debian
descriptions 0.313 -> 0.327 and on the Lee news corpus 0.523 -> 0.544, dense FAQ
MRR 0.425 -> 0.434, reverse dictionary unchanged) and changes no concept. With
``split == dim`` there is no skip-gram part.

Only the per-token weights ``n_t`` are stored (the directions are the concept rows
themselves), and encoding is vectorised: one dictionary lookup per token, one
compiled pass summing each text's rows per batch. Unknown tokens are synthesized from
character n-grams, once each (cached).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from world2vec.embeddings.sentences.base import EmptyTextError, read_config, register_encoder, write_config
from world2vec.embeddings.sentences.sif import sif_weights
from world2vec.embeddings.words.subwords import row_means
from world2vec.embeddings.words.vectors import WordVectors

_EPS = 1e-12
_OOV_CACHE_LIMIT = 100_000


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), _EPS)


@register_encoder
class DistilledEncoder:
    """Text -> ``[alpha * distilled mean ; beta * SIF skip-gram mean]`` (unit rows)."""

    kind = "distilled"

    def __init__(self, words: WordVectors, token_weights: np.ndarray, split: int,
                 alpha: float = 1.0, oov_weight: float | None = None, a: float = 1e-3,
                 text_alpha: float | None = None) -> None:
        if not 0 < split <= words.dim:
            raise ValueError(f"split {split} must be in 1..{words.dim}")
        token_weights = np.asarray(token_weights, np.float32).ravel()
        if len(token_weights) != len(words):
            raise ValueError("distilled token weights do not match the model's vocabulary")
        self.words = words
        self.token_weights = token_weights
        self.split = int(split)
        self.alpha = float(alpha) if split < words.dim else 1.0
        self.beta = float(np.sqrt(max(0.0, 1.0 - self.alpha ** 2))) if split < words.dim else 0.0
        text_alpha = self.alpha if text_alpha is None or split == words.dim else float(text_alpha)
        if not 0.0 < text_alpha <= 1.0:
            raise ValueError(f"text_alpha {text_alpha} must be in (0, 1]")
        self.text_alpha = text_alpha
        self.text_beta = float(np.sqrt(max(0.0, 1.0 - text_alpha ** 2)))
        self.oov_weight = float(np.median(token_weights) if oov_weight is None else oov_weight)
        self.a = float(a)
        self._sif, self._sif_oov = sif_weights(words.counts, a)
        self._index = {w: i for i, w in enumerate(words.words)}
        self._rows: np.ndarray | None = None
        self._oov: dict[str, np.ndarray | None] = {}

    # -- the weighted token rows ---------------------------------------------------
    def _weighted(self, unit_rows: np.ndarray, w_first: np.ndarray | float,
                  w_second: np.ndarray | float) -> np.ndarray:
        """Concept rows -> the rows summed for a text: each part unit, times its weight."""
        rows = np.array(unit_rows, dtype=np.float32, ndmin=2)
        first = _unit(rows[:, :self.split]) * np.reshape(w_first, (-1, 1))
        if self.split == rows.shape[1]:
            return first.astype(np.float32)
        second = _unit(rows[:, self.split:]) * np.reshape(w_second, (-1, 1))
        return np.hstack([first, second]).astype(np.float32)

    def rows(self) -> np.ndarray:
        """Every vocabulary token's weighted row (built once, float32)."""
        if self._rows is None:
            self._rows = self._weighted(self.words.normed, self.token_weights, self._sif)
        return self._rows

    def _resolve_unknown(self, tokens: list[str]) -> dict[str, np.ndarray | None]:
        """Weighted rows of out-of-vocabulary ``tokens``, remembered (None: nothing to
        build). All of a batch's new unknown tokens are synthesized in one call."""
        cache, distinct = self._oov, list(dict.fromkeys(tokens))
        if len(cache) + len(distinct) > _OOV_CACHE_LIMIT:
            cache.clear()
        new = [t for t in distinct if t not in cache]
        if new:
            built = self.words.unseen_vectors(new)
            found = [t for t in new if t in built]
            rows = (self._weighted(np.vstack([built[t] for t in found]), self.oov_weight,
                                   self._sif_oov) if found else [])
            cache.update(dict.fromkeys(new))
            cache.update(zip(found, rows))
        return cache

    # -- encoding --------------------------------------------------------------------
    def encode(self, texts: Sequence[str], batch_size: int = 1024) -> np.ndarray:
        """Unit float32 rows; ``EmptyTextError`` names a text with no usable token."""
        texts = list(texts)
        out = np.empty((len(texts), self.words.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            out[start:start + batch_size] = self._encode_batch(texts[start:start + batch_size],
                                                               start)
        return out

    def _encode_batch(self, texts: list[str], first_row: int) -> np.ndarray:
        index, tokenize = self._index, self.words.tokenizer.tokenize
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be strings, got {type(text).__name__}")
        tokenized = [tokenize(text) for text in texts]
        oov = self._resolve_unknown([t for toks in tokenized for t in toks if t not in index])
        ids: list[int] = []
        unknown: list[tuple[int, np.ndarray]] = []       # (text row, weighted vector)
        known = np.zeros(len(texts), dtype=np.int64)
        single = np.zeros(len(texts), dtype=bool)        # one-word texts: the concept weights
        for row, tokens in enumerate(tokenized):
            before, guessed = len(ids), len(unknown)
            for token in tokens:
                i = index.get(token)
                if i is not None:
                    ids.append(i)
                elif (vec := oov.get(token)) is not None:
                    unknown.append((row, vec))
            known[row] = len(ids) - before
            single[row] = known[row] + len(unknown) - guessed == 1
            if not known[row] and len(unknown) == guessed:
                raise EmptyTextError(f"text {first_row + row} has no word the model knows: "
                                     f"{texts[row][:60]!r}")
        # one pass over the known rows, no gathered temporary (subwords.row_means)
        ptr = np.concatenate([[0], np.cumsum(known)]).astype(np.int64)
        sums = row_means(self.rows(), ptr, np.asarray(ids, dtype=np.int64))
        sums *= known[:, None].astype(np.float32)
        for row, vec in unknown:
            sums[row] += vec
        if self.split == sums.shape[1]:
            return _unit(sums).astype(np.float32)
        alpha = np.where(single, self.alpha, self.text_alpha)[:, None]
        beta = np.where(single, self.beta, self.text_beta)[:, None]
        return np.hstack([_unit(sums[:, :self.split]) * alpha,
                          _unit(sums[:, self.split:]) * beta]).astype(np.float32)

    # -- files -------------------------------------------------------------------------
    def save(self, path: str) -> None:
        write_config(path, {"kind": self.kind, "split": self.split, "alpha": self.alpha,
                            "text_alpha": self.text_alpha, "oov_weight": self.oov_weight,
                            "a": self.a})
        np.save(os.path.join(path, "token_weights.npy"), self.token_weights.astype(np.float16))

    @classmethod
    def load(cls, path: str, words: WordVectors) -> DistilledEncoder:
        config = read_config(path)
        weights = np.load(os.path.join(path, "token_weights.npy")).astype(np.float32)
        return cls(words, weights, split=int(config["split"]), alpha=float(config["alpha"]),
                   oov_weight=config.get("oov_weight"), a=float(config.get("a", 1e-3)),
                   text_alpha=config.get("text_alpha"))
