"""Starting vectors for the words a continued training adds: known words used alike.

Why not small random rows, as a fresh training starts: a new word is usually rare in
the new text, and a few dozen skip-gram updates from a random start leave it far from
everything (we measured it: a made-up word used like "cat" in 400 sentences ended among
verbs). What the new text does say clearly is which known words are used the way the
new word is. So every word of the new text gets a *context signature*: the mean of the
unit vectors of the known words around its occurrences, frequent words (the, of)
down-weighted by SIF's a/(a + p(w)). A new word starts at the weighted mean of the
known words whose signatures are closest to its own (its substitutes: "blicket" in
"the blicket purred on my lap" shares its contexts with "cat" and "kitten"), and the
training then refines it. A new word whose contexts match no known word's starts at
its signature (where its contexts point, "à la carte", Khodak et al. 2018, without
the learned map); one with no known word around it from its subwords when the base
model can build them, else from a small random row.
"""

from __future__ import annotations

import numpy as np

from world2vec.embeddings.continued.vocabulary import Extension
from world2vec.embeddings.sentences.sif import sif_weights
from world2vec.embeddings.words.corpus import EncodedCorpus
from world2vec.embeddings.words.vectors import WordVectors
from world2vec.engine.linalg import unit_rows

__all__ = ["initial_rows", "context_signatures", "typical_norm"]

POSITION_BLOCK = 1 << 16
SUBSTITUTES = 5           # known words averaged into a new word's starting row
MIN_SIMILARITY = 0.5      # centred signature cosine below which a word is no substitute
MAX_SIGNATURE_TOKENS = 4_000_000   # positions read for signatures (new words: all)


def typical_norm(vectors: np.ndarray, sample: int = 20000) -> float:
    """The median row length of ``vectors`` (on an even sample of rows)."""
    if not len(vectors):
        return 1.0
    stride = max(1, len(vectors) // sample)
    norms = np.linalg.norm(np.asarray(vectors[::stride], dtype=np.float32), axis=1)
    median = float(np.median(norms))
    return median if median > 0 else 1.0


def context_signatures(base: WordVectors, encoded: EncodedCorpus, size: int,
                       window: int) -> np.ndarray:
    """Per extended-vocabulary row, the SIF-weighted sum of the known (base) words' unit
    vectors within ``window`` of its occurrences (not normalized; zero if none).

    Positions holding a new word are read in full; the others only in the first
    ``MAX_SIGNATURE_TOKENS`` tokens, which bounds the cost on a large corpus.
    """
    n_base, dim = len(base), base.dim
    unit = np.asarray(base.normed, dtype=np.float32)
    weights = sif_weights(base.counts)[0].astype(np.float32)
    sums = np.zeros(size * dim, dtype=np.float64)
    tokens, sent_ptr = encoded.tokens, np.asarray(encoded.sent_ptr)
    total = len(tokens)
    columns = np.arange(dim, dtype=np.int64)
    for start in range(0, total, POSITION_BLOCK):
        block = np.asarray(tokens[start:start + POSITION_BLOCK])
        wanted = block >= (0 if start < MAX_SIGNATURE_TOKENS else n_base)
        positions = np.flatnonzero(wanted) + start
        if not len(positions):
            continue
        centre = block[positions - start].astype(np.int64)
        sentence = np.searchsorted(sent_ptr, positions, side="right") - 1
        for offset in (*range(-window, 0), *range(1, window + 1)):
            other = positions + offset
            ok = (other >= 0) & (other < total)
            ok[ok] &= np.searchsorted(sent_ptr, other[ok], side="right") - 1 == sentence[ok]
            context = np.full(len(other), -1, dtype=np.int64)
            context[ok] = np.asarray(tokens[other[ok]])
            ok &= (context >= 0) & (context < n_base)
            if not ok.any():
                continue
            ctx, who = context[ok], centre[ok]
            values = unit[ctx] * weights[ctx][:, None]
            sums += np.bincount((who[:, None] * dim + columns).ravel(), weights=values.ravel(),
                                minlength=size * dim)
    return sums.reshape(size, dim).astype(np.float32)


def initial_rows(base: WordVectors, encoded: EncodedCorpus, extension: Extension, window: int,
                 seed: int, min_count: int = 1) -> np.ndarray:
    """One row per new word (``extension.new_words``), scaled to the base rows' typical
    length; ``encoded`` holds extended-vocabulary ids (see ``extend_vocabulary``). Known
    words occurring fewer than ``min_count`` times in the new text are no substitutes."""
    n_base, n_new, dim = extension.base_size, len(extension.new_words), base.dim
    rows = np.zeros((n_new, dim), dtype=np.float32)
    if n_new == 0:
        return rows
    raw = context_signatures(base, encoded, extension.size, window)
    has_context = np.linalg.norm(raw, axis=1) > 0
    signatures = unit_rows(raw)
    # Substitutes are content words: a function word (the, of) shares every word's
    # contexts in a short text; SIF's weight falls below one half past p(w) = a.
    content = sif_weights(base.counts)[0] >= 0.5
    candidates = np.flatnonzero((extension.corpus_counts[:n_base] >= max(min_count, 1))
                                & has_context[:n_base] & content)
    # Every signature shares the text's mean context; compared with it removed, the
    # words used alike stand out (as SIF removes its common component).
    common = signatures[has_context].mean(axis=0)
    centred = unit_rows(signatures - common)
    base_unit = base.normed
    rng = np.random.default_rng(seed)
    for i, word in enumerate(extension.new_words):
        row = n_base + i
        if has_context[row] and len(candidates):
            scores = centred[candidates] @ centred[row]
            best = np.argsort(-scores, kind="stable")[:SUBSTITUTES]
            best = best[scores[best] >= MIN_SIMILARITY]
            if len(best):
                weights = scores[best] - MIN_SIMILARITY   # the closer, the more it counts
                rows[i] = weights @ np.asarray(base_unit[candidates[best]])
                continue
        if has_context[row]:
            rows[i] = signatures[row]
            continue
        try:
            rows[i] = base.vector(word)[0]     # subwords (or spelling neighbours)
        except KeyError:
            rows[i] = rng.standard_normal(dim)
    return unit_rows(rows) * np.float32(typical_norm(base.vectors))
