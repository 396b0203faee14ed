"""Fused numba kernels for skip-gram and CBOW with negative sampling (SGNS).

Why a fused kernel: a Python-level graph (or one numba call per sentence)
spends most of its time on dispatch. Here one call trains a whole *batch* of
sentences: the batch is split into one chunk of sentences per thread, and the
threads update the shared matrices Hogwild-style (lock-free, as word2vec.c and
gensim do). With a single thread and a seed the result is bit-for-bit
deterministic, because all randomness comes from a per-chunk xorshift RNG
seeded by the caller.

Everything word2vec needs happens inside the kernel, with no per-sentence
Python: dropping out-of-vocabulary tokens (id -1), frequent-word subsampling,
the dynamic (shrunk) window, negatives drawn from the unigram^0.75
distribution by the alias method (two small arrays that stay in cache instead
of word2vec.c's 400 MB table), word2vec.c's sigmoid table (read as it reads
it, see ``_build_tables``) and linear learning-rate decay across the batch.

Input rows. A word's input ("syn0") representation is the mean of a list of
rows of ``syn0``: the word's own row, plus fastText-style hashed character
n-gram rows when subwords are on (``sub_ptr``/``sub_idx`` in CSR layout). With
``use_subwords=False`` the kernel takes word2vec's plain path and reads the
word's own row directly.

Public functions:
  - :func:`alias_table` builds the negative-sampling tables from counts and
    :func:`keep_probabilities` is word2vec's subsampling rule (both live in
    ``sampling.py``, with the prefetch intrinsic, and are re-exported here).
  - :func:`train_batch` is the fused kernel (see its docstring).
  - :func:`split_chunks` balances sentences over threads by token count.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

# Re-exported: bench/ and tests import these from here.
from world2vec.engine.sampling import alias_table, keep_probabilities, prefetch  # noqa: F401

EXP_TABLE_SIZE = 1000
MAX_EXP = 6.0
# Table cells per unit of f, as word2vec.c and gensim compute it: C's integer
# EXP_TABLE_SIZE / MAX_EXP / 2 = 83, not 83.3 (see _build_tables).
SIGMOID_SCALE = EXP_TABLE_SIZE // int(2 * MAX_EXP)
MAX_SENTENCE_LEN = 10000
CHUNKS_PER_THREAD = 8

_U1 = np.uint64(1)


def _build_tables() -> tuple[np.ndarray, np.ndarray]:
    """sigmoid and log-sigmoid at ``x_i = (i / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP``.

    Why the reference's table and lookup, not an exact sigmoid: word2vec.c and
    gensim store sigmoid at the left edge of each cell and index it with
    ``int((f + 6) * 83)``, so they read sigmoid(0.996 f - 0.024 - up to 0.012),
    about 0.03 low in the logit. That enlarges every positive gradient and
    shrinks every negative one by 1.5-3 %, and their CBOW learns measurably
    from it: with a centred 1024-cell table ours scored 0.0035 lower on
    WordSim-353 (mean of 80 seeds each, 3M tokens). Entry ``EXP_TABLE_SIZE``
    holds x = +MAX_EXP so that ``logsig[EXP_TABLE_SIZE - i]`` is log sigmoid(-x_i).
    """
    x = (np.arange(EXP_TABLE_SIZE + 1, dtype=np.float64) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP
    sig = 1.0 / (1.0 + np.exp(-x))
    logsig = np.log(sig)
    return sig.astype(np.float32), logsig.astype(np.float32)


SIGMOID_TABLE, LOG_SIGMOID_TABLE = _build_tables()


def split_chunks(sent_ptr: np.ndarray, n_chunks: int) -> np.ndarray:
    """Sentence boundaries that give each of ``n_chunks`` threads about equal tokens."""
    n_sent = len(sent_ptr) - 1
    n_chunks = max(1, min(n_chunks, max(n_sent, 1)))
    targets = np.linspace(0, sent_ptr[-1], n_chunks + 1)
    bounds = np.searchsorted(sent_ptr, targets[1:-1], side="left")
    return np.concatenate([[0], bounds, [n_sent]]).astype(np.int64)


@njit(inline="always")
def _xorshift(state):
    state ^= state >> np.uint64(12)
    state ^= state << np.uint64(25)
    state ^= state >> np.uint64(27)
    return state


@njit(inline="always")
def _draw(state):
    """Upper 32 bits of xorshift64* output as uint64."""
    return (state * np.uint64(2685821657736338717)) >> np.uint64(32)


@njit(inline="always")
def _sigmoid_index(f):
    """Cell of ``f`` in (-MAX_EXP, MAX_EXP), read as the references read it."""
    return int((f + MAX_EXP) * SIGMOID_SCALE)


@njit(fastmath=True, inline="always")
def _ns_update(h, syn1, target, negative, lr, neu1e, state,
               alias_thr, alias_idx, sig_table, logsig_table, targets, grads):
    """One negative-sampling step for hidden vector ``h``; accumulates the input
    gradient into ``neu1e`` and updates output rows in place. Returns (loss, state).

    Why three phases (draw all targets, then all dot products, then all
    updates) rather than one target at a time: the negatives' ``syn1`` rows are
    random, mostly cache-missing reads. Issuing the independent dot products
    back to back lets the CPU overlap those misses instead of waiting for each
    row after the previous update; the rows are then in L1 for the updates.
    ``targets``/``grads`` are the caller's scratch (``negative + 1`` each)."""
    dim = h.shape[0]
    vocab = np.uint64(alias_thr.shape[0])
    targets[0] = target
    k = 1
    for _ in range(negative):
        # One 64-bit draw: high half picks a slot (multiply-shift, no division),
        # low half decides between the slot and its alias.
        state = _xorshift(state)
        x = state * np.uint64(2685821657736338717)
        i = np.int64(((x >> np.uint64(32)) * vocab) >> np.uint64(32))
        if (x & np.uint64(0xFFFFFFFF)) < np.uint64(alias_thr[i]):
            t = i
        else:
            t = np.int64(alias_idx[i])
        if t != target:
            targets[k] = t
            k += 1
            for j in range(0, dim, 16):
                prefetch(syn1, t, j)
            prefetch(syn1, t, dim - 1)
    loss = 0.0
    for d in range(k):
        row = syn1[targets[d]]
        f = np.float32(0.0)
        for j in range(dim):
            f += h[j] * row[j]
        if f >= MAX_EXP:
            g = -lr if d > 0 else 0.0
            if d > 0:
                loss += f  # -log(sigmoid(-f)) ~ f for large f
        elif f <= -MAX_EXP:
            g = lr if d == 0 else 0.0
            if d == 0:
                loss -= f
        else:
            ki = _sigmoid_index(f)
            if d == 0:
                g = (1.0 - sig_table[ki]) * lr
                loss -= logsig_table[ki]
            else:
                g = -sig_table[ki] * lr
                loss -= logsig_table[EXP_TABLE_SIZE - ki]
        grads[d] = g
    for d in range(k):
        gf = grads[d]
        if gf == 0.0:
            continue
        row = syn1[targets[d]]
        for j in range(dim):
            r = row[j]
            neu1e[j] += gf * r
            row[j] = r + gf * h[j]
    return loss, state


@njit(fastmath=True, nogil=True, cache=True)
def _train_chunk(tokens, sent_ptr, s_begin, s_end, tok_offset, total_tokens,
                 syn0, syn1, sub_ptr, sub_idx, use_subwords, keep_thr,
                 alias_thr, alias_idx, skipgram, window, negative,
                 lr_start, lr_end, seed, sig_table, logsig_table, stats):
    dim = syn0.shape[1]
    state = np.uint64(seed) | _U1
    for _ in range(4):
        state = _xorshift(state)
    buf = np.empty(MAX_SENTENCE_LEN, dtype=np.int64)
    h = np.empty(dim, dtype=np.float32)
    neu1e = np.empty(dim, dtype=np.float32)
    targets = np.empty(negative + 1, dtype=np.int64)
    grads = np.empty(negative + 1, dtype=np.float32)
    loss = 0.0
    pairs = 0
    trained = 0
    seen = 0
    span = max(total_tokens, 1)
    for s in range(s_begin, s_end):
        # Build the sentence: drop unknown words and subsample frequent ones.
        n = 0
        for p in range(sent_ptr[s], sent_ptr[s + 1]):
            w = tokens[p]
            seen += 1
            if w < 0:
                continue
            state = _xorshift(state)
            if _draw(state) >= np.uint64(keep_thr[w]):
                continue
            if n < MAX_SENTENCE_LEN:
                buf[n] = w
                n += 1
        # Learning rate decays linearly with the position in the whole batch.
        frac = (tok_offset + seen) / span
        lr = lr_start + (lr_end - lr_start) * min(frac, 1.0)
        trained += n
        for pos in range(n):
            word = buf[pos]
            state = _xorshift(state)
            # dynamic window: shrink by b in [0, window)
            b = np.int64((_draw(state) * np.uint64(window)) >> np.uint64(32))
            lo = max(pos - window + b, 0)
            hi = min(pos + window - b + 1, n)
            if skipgram:
                if use_subwords:
                    # fastText: the centre word's input is the mean of its rows;
                    # predict each context word, then spread the summed gradient.
                    r0 = sub_ptr[word]
                    r1 = sub_ptr[word + 1]
                    inv = np.float32(1.0 / (r1 - r0))
                    for j in range(dim):
                        h[j] = 0.0
                    for r in range(r0, r1):
                        row = syn0[sub_idx[r]]
                        for j in range(dim):
                            h[j] += row[j]
                    for j in range(dim):
                        h[j] *= inv
                        neu1e[j] = 0.0
                    for c in range(lo, hi):
                        if c == pos:
                            continue
                        pair_loss, state = _ns_update(h, syn1, buf[c], negative, lr, neu1e, state,
                                              alias_thr, alias_idx, sig_table, logsig_table,
                                              targets, grads)
                        loss += pair_loss
                        pairs += 1
                    for r in range(r0, r1):
                        row = syn0[sub_idx[r]]
                        for j in range(dim):
                            row[j] += neu1e[j]
                else:
                    # word2vec.c: each context word's own row predicts the centre word.
                    for c in range(lo, hi):
                        if c == pos:
                            continue
                        l1 = syn0[buf[c]]
                        for j in range(dim):
                            neu1e[j] = 0.0
                        pair_loss, state = _ns_update(l1, syn1, word, negative, lr, neu1e, state,
                                              alias_thr, alias_idx, sig_table, logsig_table,
                                              targets, grads)
                        loss += pair_loss
                        pairs += 1
                        for j in range(dim):
                            l1[j] += neu1e[j]
            else:
                # CBOW: mean of all context input rows predicts the centre word.
                for j in range(dim):
                    h[j] = 0.0
                    neu1e[j] = 0.0
                count = 0
                for c in range(lo, hi):
                    if c == pos:
                        continue
                    cw = buf[c]
                    if use_subwords:
                        for r in range(sub_ptr[cw], sub_ptr[cw + 1]):
                            row = syn0[sub_idx[r]]
                            for j in range(dim):
                                h[j] += row[j]
                            count += 1
                    else:
                        row = syn0[cw]
                        for j in range(dim):
                            h[j] += row[j]
                        count += 1
                if count == 0:
                    continue
                inv = np.float32(1.0 / count)
                for j in range(dim):
                    h[j] *= inv
                pair_loss, state = _ns_update(h, syn1, word, negative, lr, neu1e, state,
                                      alias_thr, alias_idx, sig_table, logsig_table,
                                      targets, grads)
                loss += pair_loss
                pairs += 1
                for c in range(lo, hi):
                    if c == pos:
                        continue
                    cw = buf[c]
                    if use_subwords:
                        for r in range(sub_ptr[cw], sub_ptr[cw + 1]):
                            row = syn0[sub_idx[r]]
                            for j in range(dim):
                                row[j] += neu1e[j]
                    else:
                        row = syn0[cw]
                        for j in range(dim):
                            row[j] += neu1e[j]
    stats[0] = loss
    stats[1] = pairs
    stats[2] = trained
    stats[3] = seen


@njit(parallel=True, nogil=True, cache=True)
def _train_parallel(tokens, sent_ptr, chunk_ptr, syn0, syn1, sub_ptr, sub_idx, use_subwords,
                    keep_thr, alias_thr, alias_idx, skipgram, window, negative,
                    lr_start, lr_end, seeds, sig_table, logsig_table, stats):
    n_chunks = chunk_ptr.shape[0] - 1
    total = sent_ptr[-1] - sent_ptr[0]
    for c in prange(n_chunks):
        s0 = chunk_ptr[c]
        s1 = chunk_ptr[c + 1]
        offset = sent_ptr[s0] - sent_ptr[0]
        _train_chunk(tokens, sent_ptr, s0, s1, offset, total, syn0, syn1, sub_ptr, sub_idx,
                     use_subwords, keep_thr, alias_thr, alias_idx, skipgram, window, negative,
                     lr_start, lr_end, seeds[c], sig_table, logsig_table, stats[c])


def train_batch(tokens: np.ndarray, sent_ptr: np.ndarray, syn0: np.ndarray, syn1: np.ndarray,
                *, sub_ptr: np.ndarray | None = None, sub_idx: np.ndarray | None = None,
                keep: np.ndarray, alias: tuple[np.ndarray, np.ndarray], skipgram: bool = True,
                window: int = 5, negative: int = 5, lr_start: float = 0.025,
                lr_end: float = 0.025, seed: int = 1, threads: int = 1) -> dict[str, float]:
    """Train one batch of sentences in place; returns ``loss`` (mean per pair),
    ``pairs``, ``words`` (tokens trained after subsampling) and ``raw_words``.

    ``tokens`` is int32 word ids (-1 = unknown, dropped), ``sent_ptr`` the
    int64 sentence offsets into it (length n_sentences + 1). ``syn0`` holds the
    input rows (words, then n-gram buckets), ``syn1`` the output rows (words).
    ``threads`` chunks run in parallel (Hogwild); ``threads=1`` is deterministic.
    The learning rate falls linearly from ``lr_start`` to ``lr_end`` over the batch.
    """
    if window < 1 or negative < 0:
        raise ValueError("window must be >= 1 and negative >= 0")
    use_subwords = sub_ptr is not None
    if not use_subwords:
        sub_ptr = np.zeros(1, dtype=np.int64)
        sub_idx = np.zeros(1, dtype=np.int32)
    threads = max(1, int(threads))
    # Several chunks per thread, handed out one at a time: a thread slowed by
    # other processes on a shared machine then holds up the batch by one small
    # chunk, not by half the batch.
    chunk_ptr = split_chunks(sent_ptr, threads * CHUNKS_PER_THREAD if threads > 1 else 1)
    n_chunks = len(chunk_ptr) - 1
    rng = np.random.default_rng(seed)
    seeds = rng.integers(1, 2**63 - 1, size=n_chunks, dtype=np.int64).astype(np.uint64)
    stats = np.zeros((n_chunks, 4), dtype=np.float64)
    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    previous_chunk = numba.set_parallel_chunksize(1)
    try:
        _train_parallel(tokens, sent_ptr, chunk_ptr, syn0, syn1, sub_ptr, sub_idx, use_subwords,
                        keep, alias[0], alias[1], skipgram, int(window), int(negative),
                        float(lr_start), float(lr_end), seeds, SIGMOID_TABLE, LOG_SIGMOID_TABLE,
                        stats)
    finally:
        numba.set_parallel_chunksize(previous_chunk)
        numba.set_num_threads(previous)
    total = stats.sum(axis=0)
    pairs = total[1]
    return {"loss": float(total[0] / pairs) if pairs else 0.0, "pairs": float(pairs),
            "words": float(total[2]), "raw_words": float(total[3])}
