"""The fused SGNS kernel: determinism, learning, and its sampling tables."""

from __future__ import annotations

import numpy as np
import pytest

from world2vec.engine import sgns


def _setup(seed=0, vocab=50, tokens=20000, dim=16):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(5, 500, vocab))[::-1].astype(np.int64)
    toks = rng.integers(0, vocab, tokens).astype(np.int32)
    ptr = np.arange(0, tokens + 1, 20, dtype=np.int64)
    syn0 = ((rng.random((vocab, dim)) - 0.5) / dim).astype(np.float32)
    syn1 = np.zeros((vocab, dim), np.float32)
    return counts, toks, ptr, syn0, syn1


@pytest.mark.parametrize("skipgram", [True, False])
def test_single_thread_with_a_seed_is_deterministic(skipgram):
    runs = []
    for seed in (7, 7, 8):
        counts, toks, ptr, syn0, syn1 = _setup()
        out = sgns.train_batch(toks, ptr, syn0, syn1, keep=sgns.keep_probabilities(counts, 1e-2),
                               alias=sgns.alias_table(counts), skipgram=skipgram, seed=seed,
                               threads=1, lr_start=0.05, lr_end=0.01)
        runs.append((syn0, syn1, out))
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    assert runs[0][2] == runs[1][2]
    assert not np.array_equal(runs[0][0], runs[2][0])  # another seed, another result


def _reference_sigmoid(f):
    """word2vec.c / gensim: 1000 cells, sigmoid at each cell's left edge, index int((f + 6) * 83)."""
    i = int((f + 6.0) * 83)
    return 1.0 / (1.0 + np.exp(-((i / 1000 * 2 - 1) * 6.0)))


def _reference_positive_step(l1, out, lr):
    """word2vec.c's update for the true target alone (label 1); returns the input gradient."""
    f = float(np.dot(l1, out))
    g = 0.0 if f >= 6 else lr if f <= -6 else (1.0 - _reference_sigmoid(f)) * lr
    grad = g * out
    out += g * l1
    return grad


@pytest.mark.parametrize("skipgram", [True, False])
def test_updates_follow_word2vec_step_by_step(skipgram):
    # window 1 (never shrunk), no negatives, no subsampling: nothing random is left,
    # so the kernel must reproduce word2vec.c's updates word by word: CBOW's hidden
    # vector is the mean of the context rows and each context row receives the full
    # (undivided) gradient; skip-gram trains each context row on its own.
    rng = np.random.default_rng(3)
    vocab, dim, lr = 5, 8, 0.5
    sentence = np.array([0, 3, 1, 3, 4, 2, 0], dtype=np.int32)
    syn0 = rng.normal(0, 0.5, (vocab, dim)).astype(np.float32)
    syn1 = rng.normal(0, 0.5, (vocab, dim)).astype(np.float32)
    ref0, ref1 = syn0.astype(np.float64), syn1.astype(np.float64)
    n = len(sentence)
    for pos, word in enumerate(sentence):
        context = [sentence[c] for c in range(max(pos - 1, 0), min(pos + 2, n)) if c != pos]
        if skipgram:
            for c in context:
                ref0[c] += _reference_positive_step(ref0[c].copy(), ref1[word], lr)
        else:
            grad = _reference_positive_step(ref0[context].mean(axis=0), ref1[word], lr)
            for c in context:
                ref0[c] += grad
    counts = np.ones(vocab, dtype=np.int64)
    sgns.train_batch(sentence, np.array([0, n], dtype=np.int64), syn0, syn1,
                     keep=sgns.keep_probabilities(counts, 0), alias=sgns.alias_table(counts),
                     skipgram=skipgram, window=1, negative=0, lr_start=lr, lr_end=lr, seed=5)
    assert np.allclose(syn0, ref0, atol=2e-5) and np.allclose(syn1, ref1, atol=2e-5)


def test_training_lowers_the_loss_on_structured_data_with_threads():
    # Tokens come in fixed pairs (2k, 2k+1): a learnable co-occurrence pattern.
    rng = np.random.default_rng(1)
    vocab, dim = 40, 16
    pairs = rng.integers(0, vocab // 2, 20000)
    toks = np.stack([2 * pairs, 2 * pairs + 1], axis=1).ravel().astype(np.int32)
    ptr = np.arange(0, len(toks) + 1, 2, dtype=np.int64)
    counts = np.bincount(toks, minlength=vocab)
    syn0 = ((rng.random((vocab, dim)) - 0.5) / dim).astype(np.float32)
    syn1 = np.zeros((vocab, dim), np.float32)
    kwargs = dict(keep=sgns.keep_probabilities(counts, 0), alias=sgns.alias_table(counts),
                  window=1, threads=2, lr_start=0.05, lr_end=0.05)
    first = sgns.train_batch(toks, ptr, syn0, syn1, seed=1, **kwargs)["loss"]
    for s in range(2, 6):
        last = sgns.train_batch(toks, ptr, syn0, syn1, seed=s, **kwargs)["loss"]
    assert last < 0.6 * first
    # partner words are the most similar input/output pair
    scores = syn0 @ syn1.T
    assert (scores[0::2].argmax(axis=1) == np.arange(1, vocab, 2)).mean() > 0.9


def test_unknown_tokens_are_skipped_and_counted_as_seen():
    counts, toks, ptr, syn0, syn1 = _setup(tokens=2000)
    toks[::2] = -1
    out = sgns.train_batch(toks, ptr, syn0, syn1, keep=sgns.keep_probabilities(counts, 0),
                           alias=sgns.alias_table(counts), threads=1)
    assert out["raw_words"] == 2000 and out["words"] == 1000


def test_alias_table_samples_count_to_the_three_quarters():
    counts = np.array([1000, 100, 10, 1], dtype=np.int64)
    thr, alias = sgns.alias_table(counts)
    rng = np.random.default_rng(0)
    n = 400_000
    i = rng.integers(0, len(counts), n)
    u = rng.integers(0, 2**32, n, dtype=np.uint64)
    picks = np.where(u < thr[i], i, alias[i])
    observed = np.bincount(picks, minlength=4) / n
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    assert np.allclose(observed, expected, atol=0.005)


def test_subsampling_keeps_rare_words_and_drops_frequent_ones():
    keep = sgns.keep_probabilities(np.array([1_000_000, 1000, 1]), 1e-3) / 2**32
    assert keep[2] == pytest.approx(1.0, abs=1e-6) and keep[0] < 0.1


def test_bad_settings_are_rejected():
    counts, toks, ptr, syn0, syn1 = _setup(tokens=100)
    with pytest.raises(ValueError):
        sgns.train_batch(toks, ptr, syn0, syn1, keep=sgns.keep_probabilities(counts, 0),
                         alias=sgns.alias_table(counts), window=0)
    with pytest.raises(ValueError):
        sgns.alias_table(np.zeros(0))
