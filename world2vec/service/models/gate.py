"""The evaluation gate: a newly trained model measured beside the served one.

Why a gate: continued training on new text can damage what the model knew (a text full
of one topic drags its words), and the service switches models while users rely on it.
So every training job measures the new model and the active one on the same analogy
and word-similarity sets and records the comparison with the model (``gate.json``);
activating a model that failed is refused (409) unless the request says ``force``.

The sets: a sample of Google's analogy questions and WordSim-353, shipped in
``eval/`` (see its NOTICE.txt for their origin and licences), plus any the operator
puts in ``DATA/eval/`` (``*.txt``: analogy questions, ``a b c d`` lines with ``:``
section headers; ``*.tsv``: ``word1<TAB>word2<TAB>score`` lines). ``DATA/eval/gate.json``
may set ``tolerance`` (default 0.01: a figure may drop by at most this much) and
``min_answered`` (default 10: a set with fewer questions or pairs answered by both
models is reported but not judged: its figure would be noise).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from world2vec.embeddings.words.evaluation import (
    EvaluationDataError,
    evaluate_analogies,
    evaluate_similarity,
)
from world2vec.embeddings.words.vectors import WordVectors

BUNDLED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eval")
BUNDLED = (("analogies", "questions-words-sample.txt"), ("similarity", "wordsim353.tsv"))
DATA_EVAL_DIR = "eval"
DEFAULTS = {"tolerance": 0.01, "min_answered": 10}


@dataclass(frozen=True)
class EvaluationSet:
    name: str
    kind: str          # "analogies" or "similarity"
    path: str


def evaluation_sets(data_dir: str | None) -> list[EvaluationSet]:
    """The bundled sets, then those in ``DATA/eval/`` (sorted by file name)."""
    sets = [EvaluationSet(name, kind, os.path.join(BUNDLED_DIR, name)) for kind, name in BUNDLED]
    folder = os.path.join(data_dir, DATA_EVAL_DIR) if data_dir else None
    if folder and os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            kind = {".txt": "analogies", ".tsv": "similarity"}.get(os.path.splitext(name)[1])
            if kind and not name.startswith("."):
                sets.append(EvaluationSet(f"data/{name}", kind, os.path.join(folder, name)))
    return sets


def gate_settings(data_dir: str | None) -> dict:
    """``tolerance`` and ``min_answered``: the defaults, or ``DATA/eval/gate.json``'s."""
    settings = dict(DEFAULTS)
    path = os.path.join(data_dir, DATA_EVAL_DIR, "gate.json") if data_dir else ""
    if path and os.path.isfile(path):
        with open(path, encoding="utf-8") as fh:
            given = json.load(fh)
        for key in DEFAULTS:
            if isinstance(given.get(key), (int, float)) and not isinstance(given.get(key), bool):
                settings[key] = given[key]
    return settings


def measure(words: WordVectors, sets: list[EvaluationSet]) -> dict[str, dict]:
    """Each set's figure for ``words``: ``{"metric", "value", "answered", "total"}``."""
    figures: dict[str, dict] = {}
    for item in sets:
        try:
            if item.kind == "analogies":
                result = evaluate_analogies(words, item.path)
                figures[item.name] = {"metric": "accuracy", "value": round(result.accuracy_add, 4),
                                      "answered": result.answered, "total": result.total}
            else:
                result = evaluate_similarity(words, item.path)
                figures[item.name] = {"metric": "spearman", "value": round(result.spearman, 4),
                                      "answered": result.used, "total": result.pairs}
        except (EvaluationDataError, OSError) as exc:
            figures[item.name] = {"metric": None, "value": None, "answered": 0, "total": 0,
                                  "error": str(exc)}
    return figures


def compare(new: dict[str, dict], active: dict[str, dict], settings: dict) -> dict:
    """The gate: passed unless a judged figure of the new model is below the active
    model's by more than the tolerance. Returned as recorded in ``gate.json``."""
    rows = []
    for name, figure in new.items():
        before = active.get(name, {})
        answered = min(figure.get("answered", 0), before.get("answered", 0))
        judged = (figure.get("value") is not None and before.get("value") is not None
                  and answered >= settings["min_answered"])
        row = {"set": name, "metric": figure.get("metric"), "new": figure.get("value"),
               "active": before.get("value"), "answered": answered, "judged": judged,
               "passed": None}
        if judged:
            row["delta"] = round(figure["value"] - before["value"], 4)
            row["passed"] = row["delta"] >= -settings["tolerance"]
        rows.append(row)
    return {"passed": all(r["passed"] is not False for r in rows),
            "tolerance": settings["tolerance"], "min_answered": settings["min_answered"],
            "figures": rows}


def run_gate(new: WordVectors, active: WordVectors, active_name: str,
             data_dir: str | None) -> dict:
    """Measure both models on every set and compare them (see :func:`compare`)."""
    sets = evaluation_sets(data_dir)
    gate = compare(measure(new, sets), measure(active, sets), gate_settings(data_dir))
    gate["against"] = active_name
    return gate
