"""gensim's evaluation protocols, to the letter, over a KeyedVectors facade.

Why not ``words/evaluation.py``: that module is world2vec's own protocol (30,000
words, lowercased, both 3CosAdd and 3CosMul at once). A gensim user comparing figures
needs gensim's exactly: ``restrict_vocab`` 300,000, words upper-cased when
``case_insensitive`` (the first, most frequent, of several case variants wins), a
question or pair skipped when one of its words is outside the restricted vocabulary,
a question answered by the best of the top 5 candidates that is not one of its own
words, and the answers shaped as gensim shapes them. The analogy questions are
answered in batches (one matrix product per 256 questions), which gives gensim's
answers many times faster than its one-question-at-a-time loop.
"""

from __future__ import annotations

import itertools
import logging
import os
from typing import Any

import numpy as np

from world2vec.embeddings.keyed.stats import Correlation, pearson, spearman

log = logging.getLogger("world2vec.embeddings")

BATCH = 256
CANDIDATES = 5  # gensim looks at the top 5 answers for one that is not a question word


def _restricted_vocab(index_to_key: list[str], restrict_vocab: int,
                      case_insensitive: bool) -> dict[str, int]:
    """Key (upper-cased when asked) -> row, among the first ``restrict_vocab`` keys;
    of several case variants the first (most frequent) row wins."""
    vocab: dict[str, int] = {}
    for row, key in enumerate(index_to_key[:restrict_vocab]):
        vocab.setdefault(key.upper() if case_insensitive else key, row)
    return vocab


def _section_score(section: dict[str, Any]) -> float:
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    log.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, correct, correct + incorrect)
    return score


def _top_candidates(normed: np.ndarray, questions: np.ndarray, cosmul: bool) -> np.ndarray:
    """(q, 5) rows of the best answers to (a, b, c) row triples, the three excluded."""
    out = np.empty((len(questions), CANDIDATES), dtype=np.int64)
    k = min(CANDIDATES, len(normed))
    for s in range(0, len(questions), BATCH):
        q = questions[s:s + BATCH]
        a, b, c = (normed[q[:, j]] for j in range(3))
        if cosmul:  # 3CosMul over cosines shifted into [0, 1]
            sim_a, sim_b, sim_c = ((1.0 + normed @ v.T) / 2.0 for v in (a, b, c))
            scores = (sim_b * sim_c / (sim_a + 1e-6)).T
        else:
            mean = b + c - a  # gensim: the weighted mean of unit vectors, then unit length
            norms = np.linalg.norm(mean, axis=1, keepdims=True)
            mean = np.where(norms > 0, mean / np.where(norms > 0, norms, 1.0), mean)
            scores = (normed @ mean.T).T
        cols = np.arange(len(q))
        for j in range(3):
            scores[cols, q[:, j]] = -np.inf
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < scores.shape[1] \
            else np.tile(np.arange(scores.shape[1]), (len(q), 1))
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        best = np.take_along_axis(top, order, axis=1)
        out[s:s + len(q), :best.shape[1]] = best
        out[s:s + len(q), best.shape[1]:] = -1
    return out


def evaluate_word_analogies(kv: Any, analogies: str | os.PathLike, restrict_vocab: int = 300000,
                            case_insensitive: bool = True, dummy4unknown: bool = False,
                            similarity_function: str = "most_similar"
                            ) -> tuple[float, list[dict[str, Any]]]:
    """gensim's ``evaluate_word_analogies``: ``(accuracy, sections)``, the last section
    being ``"Total accuracy"``; each section is ``{"section", "correct", "incorrect"}``
    with (a, b, c, expected) tuples (upper-cased when ``case_insensitive``)."""
    if similarity_function not in ("most_similar", "most_similar_cosmul"):
        raise ValueError("similarity_function must be 'most_similar' or 'most_similar_cosmul'")
    keys = kv.index_to_key
    vocab = _restricted_vocab(keys, restrict_vocab, case_insensitive)
    normed = np.asarray(kv.get_normed_vectors()[:restrict_vocab], dtype=np.float32)
    sections: list[dict[str, Any]] = []
    pending: list[tuple[dict[str, Any], tuple[str, str, str, str]]] = []
    oov = quadruplets = 0
    section = None
    with open(analogies, "rb") as f:
        for line_no, raw in enumerate(f):
            line = raw.decode("utf-8")
            if line.startswith(": "):
                if section:
                    sections.append(section)
                section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []}
                continue
            if not section:
                raise ValueError(f"Missing section header before line #{line_no} in {analogies}")
            words = [w.upper() for w in line.split()] if case_insensitive else line.split()
            if len(words) != 4:
                log.info("Skipping invalid line #%i in %s", line_no, analogies)
                continue
            quadruplets += 1
            if not all(w in vocab for w in words):
                oov += 1
                if dummy4unknown:
                    section["incorrect"].append(tuple(words))
                continue
            pending.append((section, tuple(words)))
    if section:
        sections.append(section)
    rows = np.array([[vocab[w] for w in q[:3]] for _, q in pending], dtype=np.int64).reshape(-1, 3)
    candidates = _top_candidates(normed, rows, similarity_function == "most_similar_cosmul")
    for (sec, (a, b, c, expected)), best in zip(pending, candidates):
        predicted = None
        for row in best[best >= 0]:
            predicted = keys[row].upper() if case_insensitive else keys[row]
            if predicted in vocab and predicted not in (a, b, c):
                break
        sec["correct" if predicted == expected else "incorrect"].append((a, b, c, expected))
    for sec in sections:
        _section_score(sec)
    total = {"section": "Total accuracy",
             "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
             "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections))}
    if quadruplets:
        log.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * oov / quadruplets)
    score = _section_score(total)
    sections.append(total)
    return score, sections


def evaluate_word_pairs(kv: Any, pairs: str | os.PathLike, delimiter: str = "\t",
                        encoding: str = "utf8", restrict_vocab: int = 300000,
                        case_insensitive: bool = True, dummy4unknown: bool = False
                        ) -> tuple[Correlation, Correlation, float]:
    """gensim's ``evaluate_word_pairs``: ``(pearson, spearman, oov_ratio)``, the first two
    ``(statistic, pvalue)`` pairs and the third a percentage."""
    vocab = _restricted_vocab(kv.index_to_key, restrict_vocab, case_insensitive)
    vectors = kv.vectors
    gold: list[float] = []
    model: list[float] = []
    oov = 0
    with open(pairs, encoding=encoding) as f:
        for line_no, line in enumerate(f):
            if not line or line.startswith("#"):
                continue
            try:
                fields = line.split(delimiter)
                a, b, sim = [w.upper() for w in fields] if case_insensitive else fields
                sim = float(sim)
            except (ValueError, TypeError):
                log.info("Skipping invalid line #%d in %s", line_no, pairs)
                continue
            if a not in vocab or b not in vocab:
                oov += 1
                if dummy4unknown:
                    model.append(0.0)
                    gold.append(sim)
                continue
            gold.append(sim)
            model.append(_cosine(vectors[vocab[a]], vectors[vocab[b]]))
    if not gold:
        raise ValueError(f"No valid similarity judgements found in {pairs}: either invalid format "
                         f"or all are out-of-vocabulary in {kv}")
    oov_ratio = 100.0 * oov / (len(gold) if dummy4unknown else len(gold) + oov)
    result = pearson(np.array(gold), np.array(model)), spearman(np.array(gold), np.array(model))
    log.info("Pearson %.4f, Spearman %.4f against %s; pairs with unknown words %.1f%%",
             result[0].statistic, result[1].statistic, pairs, oov_ratio)
    return result[0], result[1], oov_ratio


def _cosine(u: np.ndarray, v: np.ndarray) -> float:
    u = np.asarray(u, dtype=np.float32)
    v = np.asarray(v, dtype=np.float32)
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    return float(np.dot(u / nu if nu else u, v / nv if nv else v))
