"""Intrinsic evaluation: word analogies (3CosAdd, 3CosMul) and word similarity.

Why these rules: they match the published protocol (Mikolov et al.; Levy &
Goldberg) and gensim's ``evaluate_word_analogies`` / ``evaluate_word_pairs``,
so our numbers compare with theirs on the same vectors:

* analogies ``a b c d`` (``a : b :: c : d``) are answered within the
  ``restrict`` (30,000) most frequent words; a question counts only when all
  four words are among them (``coverage`` says how many did); the three
  question words are excluded from the answer; everything is lowercased.
* similarity: Spearman's rank correlation (average ranks for ties, computed
  here so scipy is not needed) between human scores and cosines over the pairs
  whose two words are known; the share of skipped pairs is the ``oov`` rate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from world2vec.embeddings.words.vectors import WordVectors


class EvaluationDataError(ValueError):
    """An evaluation file that cannot be parsed (names file and line)."""


@dataclass
class AnalogyResult:
    total: int
    answered: int
    correct_add: int
    correct_mul: int
    sections: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # answered, add, mul

    @property
    def coverage(self) -> float:
        return self.answered / self.total if self.total else 0.0

    @property
    def accuracy_add(self) -> float:
        return self.correct_add / self.answered if self.answered else 0.0

    @property
    def accuracy_mul(self) -> float:
        return self.correct_mul / self.answered if self.answered else 0.0

    def summary(self, name: str = "analogies") -> str:
        return (f"{name}: 3CosAdd {self.accuracy_add:.1%}  3CosMul {self.accuracy_mul:.1%}  "
                f"on {self.answered}/{self.total} questions (coverage {self.coverage:.1%})")


@dataclass
class SimilarityResult:
    pairs: int
    used: int
    spearman: float

    @property
    def oov(self) -> float:
        return 1.0 - self.used / self.pairs if self.pairs else 0.0

    def summary(self, name: str = "similarity") -> str:
        rho = "n/a" if np.isnan(self.spearman) else f"{self.spearman:.3f}"
        return (f"{name}: Spearman {rho}  on {self.used}/{self.pairs} pairs "
                f"(OOV {self.oov:.1%})")


def read_analogies(path: str | os.PathLike) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Sections of ``a b c d`` questions (``: name`` lines start a section)."""
    sections: list[tuple[str, list]] = []
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith(":"):
                    sections.append((line[1:].strip(), []))
                    continue
                parts = line.lower().split()
                if len(parts) != 4:
                    raise EvaluationDataError(f"{path}:{lineno}: expected 4 words, got {len(parts)}")
                if not sections:
                    sections.append(("questions", []))
                sections[-1][1].append(tuple(parts))
    except OSError as exc:
        raise EvaluationDataError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise EvaluationDataError(f"{path}: not UTF-8 text") from None
    if not any(q for _, q in sections):
        raise EvaluationDataError(f"{path}: no analogy questions found")
    return sections


def read_similarity(path: str | os.PathLike) -> list[tuple[str, str, float]]:
    """``word1 word2 score`` lines (tabs or spaces; ``#`` comments skipped)."""
    pairs = []
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                parts = line.split("\t") if "\t" in line else line.split()
                if len(parts) < 3:
                    raise EvaluationDataError(f"{path}:{lineno}: expected word1 word2 score")
                try:
                    score = float(parts[2])
                except ValueError:
                    if not pairs:  # a header line such as "Word 1  Word 2  Human (mean)"
                        continue
                    raise EvaluationDataError(
                        f"{path}:{lineno}: score {parts[2]!r} is not a number") from None
                pairs.append((parts[0].strip().lower(), parts[1].strip().lower(), score))
    except OSError as exc:
        raise EvaluationDataError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise EvaluationDataError(f"{path}: not UTF-8 text") from None
    if not pairs:
        raise EvaluationDataError(f"{path}: no word pairs found")
    return pairs


def rankdata(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="mergesort")
    sorted_vals = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    start = 0
    n = len(values)
    while start < n:
        stop = start + 1
        while stop < n and sorted_vals[stop] == sorted_vals[start]:
            stop += 1
        ranks[order[start:stop]] = (start + stop + 1) / 2.0
        start = stop
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: Pearson correlation of the (tie-averaged) ranks."""
    if len(x) != len(y):
        raise ValueError("x and y differ in length")
    if len(x) < 2:
        return float("nan")
    rx, ry = rankdata(x), rankdata(y)
    rx -= rx.mean()
    ry -= ry.mean()
    denom = np.sqrt((rx * rx).sum() * (ry * ry).sum())
    return float((rx * ry).sum() / denom) if denom > 0 else float("nan")


def evaluate_analogies(wv: WordVectors, path: str | os.PathLike, restrict: int = 30_000,
                       batch: int = 256) -> AnalogyResult:
    """Score ``path``'s analogies by 3CosAdd and 3CosMul (see module doc)."""
    sections = read_analogies(path)
    limit = min(restrict, len(wv.words))
    normed = np.ascontiguousarray(wv.normed[:limit])
    index = {}
    for i, w in enumerate(wv.words[:limit]):
        index.setdefault(w.lower(), i)
    result = AnalogyResult(total=0, answered=0, correct_add=0, correct_mul=0)
    for name, questions in sections:
        result.total += len(questions)
        ids = np.array([[index[w] for w in q] for q in questions if all(w in index for w in q)],
                       dtype=np.int64).reshape(-1, 4)
        add = mul = 0
        for s in range(0, len(ids), batch):
            q = ids[s:s + batch]
            a, b, c = (normed[q[:, j]] for j in range(3))
            rows = np.arange(len(q))
            sim_a, sim_b, sim_c = normed @ a.T, normed @ b.T, normed @ c.T  # (limit, n)
            scores = (sim_b - sim_a + sim_c).T
            cosmul = (((1 + sim_b) / 2) * ((1 + sim_c) / 2) / ((1 + sim_a) / 2 + 1e-6)).T
            for m in (scores, cosmul):
                for j in range(3):
                    m[rows, q[:, j]] = -np.inf
            add += int((scores.argmax(axis=1) == q[:, 3]).sum())
            mul += int((cosmul.argmax(axis=1) == q[:, 3]).sum())
        result.answered += len(ids)
        result.correct_add += add
        result.correct_mul += mul
        result.sections[name] = (len(ids), add, mul)
    return result


def evaluate_similarity(wv: WordVectors, path: str | os.PathLike) -> SimilarityResult:
    """Spearman correlation of cosines with human judgements over known pairs."""
    pairs = read_similarity(path)
    human, model = [], []
    for w1, w2, score in pairs:
        if w1 in wv and w2 in wv:
            human.append(score)
            model.append(float(wv.vector(w1)[0] @ wv.vector(w2)[0]))
    return SimilarityResult(pairs=len(pairs), used=len(human),
                            spearman=spearman(np.array(human), np.array(model)))
