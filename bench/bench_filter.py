#!/usr/bin/env python
"""Content filtering (/filter, embeddings.arithmetic.classify) measured on labelled texts.

The set (bench/data/filter_topics.tsv): 160 short texts written for this bench, 20 per
topic (sports, violence, cooking, finance, health, music, technology, weather), each
labelled by its topic. Two measures, with the bundled model unless ``--model``:

  topic accuracy     the topic whose concept vector is nearest the text's (argmax over
                     the 8 topic names); no threshold involved
  decisions          /filter's allow / block / neutral against the expected decision in
                     three settings: allow sports, cooking, music + block violence;
                     allow health, technology + block violence, finance; block violence
                     alone. A text of a topic on neither list should be neutral.
                     Reported as accuracy, and as balanced accuracy (the mean of the
                     allow, block and neutral recalls: most texts are expected neutral,
                     so plain accuracy barely notices a filter that blocks nothing)

Scorings of a text against a concept:

  plain     the cosine with the concept's vector (/filter before families)
  family    the mean of the 5 best cosines among the concept and its 20 nearest
            concepts (arithmetic.concept_families, what /filter does now)
  centroid  the cosine with the mean of that family (``--centroid``: tried, not adopted)

The texts are split in two halves (alternate texts of each topic): the threshold is
calibrated (best balanced accuracy) on the first and measured on the second, and the
other way round, to see that it holds.

    python bench/bench_filter.py [--model DIR] [--centroid] [--rest]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from world2vec.embeddings.arithmetic import (
    DEFAULT_THRESHOLD,
    FAMILY_NEIGHBOURS,
    classify,
    concept_families,
    family_scores,
)
from world2vec.embeddings.concepts import concept_vectors

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "filter_topics.tsv")
SETTINGS = [(["sports", "cooking", "music"], ["violence"]),
            (["health", "technology"], ["violence", "finance"]),
            ([], ["violence"])]
PREVIOUS_THRESHOLD = 0.375  # the default before longer texts weighed the distilled part 0.9
GRID = [round(x, 3) for x in np.arange(0.05, 0.601, 0.025)]


def load(path: str = DATA) -> tuple[list[str], list[str]]:
    """(texts, topic labels) of the tab-separated set; '#' lines are comments."""
    texts, labels = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and not line.startswith("#"):
                topic, text = line.rstrip("\n").split("\t")
                texts.append(text)
                labels.append(topic)
    return texts, labels


def halves(labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Row indexes of the two halves: alternate texts within each topic."""
    seen: dict[str, int] = {}
    first = []
    for topic in labels:
        first.append(seen.get(topic, 0) % 2 == 0)
        seen[topic] = seen.get(topic, 0) + 1
    first_arr = np.array(first)
    return np.flatnonzero(first_arr), np.flatnonzero(~first_arr)


def expected(labels: np.ndarray, allow: list[str], block: list[str]) -> np.ndarray:
    return np.array(["allow" if t in allow else "block" if t in block else "neutral"
                     for t in labels])


def decisions(texts: np.ndarray, labels: np.ndarray, vectors: dict, threshold: float
              ) -> list[tuple[float, float]]:
    """Per setting: (accuracy, balanced accuracy) of the decisions."""
    out = []
    for allow, block in SETTINGS:
        got = np.array([d.decision for d in classify(
            texts, allow, _rows(vectors, allow, texts.shape[1]), block,
            _rows(vectors, block, texts.shape[1]), threshold)])
        want = expected(labels, allow, block)
        out.append((float(np.mean(got == want)),
                    float(np.mean([np.mean(got[want == c] == c) for c in set(want)]))))
    return out


def _rows(vectors: dict, names: list[str], dim: int):
    """Plain vectors stack into one row per concept; families stay a list."""
    if not names:
        return np.zeros((0, dim), np.float32)
    picked = [vectors[c] for c in names]
    return np.stack(picked) if picked[0].ndim == 1 else picked


def mean_of(results: list[tuple[float, float]], which: int) -> float:
    return float(np.mean([r[which] for r in results]))


def topic_accuracy(texts: np.ndarray, labels: np.ndarray, vectors: dict) -> float:
    topics = sorted(vectors)
    scores = family_scores(texts, _rows(vectors, topics, texts.shape[1]))
    return float(np.mean(np.array(topics)[np.argmax(scores, axis=1)] == labels))


def calibrate(texts: np.ndarray, labels: np.ndarray, vectors: dict) -> float:
    """The threshold of the grid with the best balanced accuracy (ties: the lower)."""
    return max(GRID, key=lambda th: (mean_of(decisions(texts, labels, vectors, th), 1), -th))


def report(name: str, texts: np.ndarray, labels: np.ndarray, vectors: dict, split) -> None:
    first, second = split
    print(f"\n{name}: topic accuracy {topic_accuracy(texts, labels, vectors):.3f} "
          f"(all {len(labels)} texts)")
    print(f"  {'threshold':<32}{'accuracy':>10}{'balanced':>10}{'half 2':>8}{'bal.':>7}"
          f"   balanced per setting")
    on_first = calibrate(texts[first], labels[first], vectors)
    on_second = calibrate(texts[second], labels[second], vectors)
    rows = [(f"{PREVIOUS_THRESHOLD} (the previous default)", PREVIOUS_THRESHOLD),
            (f"{DEFAULT_THRESHOLD} (DEFAULT_THRESHOLD)", DEFAULT_THRESHOLD),
            (f"{on_first} (calibrated on half 1)", on_first)]
    for label, th in rows:
        every = decisions(texts, labels, vectors, th)
        held = decisions(texts[second], labels[second], vectors, th)
        print(f"  {label:<32}{mean_of(every, 0):>10.3f}{mean_of(every, 1):>10.3f}"
              f"{mean_of(held, 0):>8.3f}{mean_of(held, 1):>7.3f}   "
              + " ".join(f"{r[1]:.3f}" for r in every))
    back = decisions(texts[first], labels[first], vectors, on_second)
    print(f"  (the other way round: calibrated on half 2 -> {on_second}; half 1 accuracy "
          f"{mean_of(back, 0):.3f}, balanced {mean_of(back, 1):.3f})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory (default: the bundled one)")
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--centroid", action="store_true",
                        help="also score topics by the centroid of their family")
    parser.add_argument("--rest", action="store_true",
                        help="check that POST /filter decides as classify does")
    args = parser.parse_args(argv)
    from world2vec.embeddings.model import load_model

    model = load_model(args.model)
    texts, labels = load(args.data)
    label_arr = np.array(labels)
    topics = sorted(set(labels))
    print(f"set: {len(texts)} texts, {len(topics)} topics ({', '.join(topics)}); "
          f"model {model.name} (dim {model.dim})")
    text_vectors = np.asarray(model.encode_texts(texts), np.float32)
    plain = dict(zip(topics, concept_vectors(model.words, topics)[0]))
    split = halves(labels)
    families = dict(zip(topics, concept_families(model.words, topics)))
    report("plain: cosine with the concept", text_vectors, label_arr, plain, split)
    report(f"family: 5 best of the concept and its {FAMILY_NEIGHBOURS} nearest", text_vectors,
           label_arr, families, split)
    if args.centroid:
        centroids = {t: f.mean(axis=0) / np.linalg.norm(f.mean(axis=0))
                     for t, f in families.items()}
        report("centroid of the family", text_vectors, label_arr, centroids, split)
    if args.rest:
        check_rest(args.model, texts, label_arr, text_vectors, families)
    return 0


def check_rest(model_path, texts, labels, text_vectors, vectors) -> None:
    import tempfile

    from world2vec.service.app import close_app, create_app
    from world2vec.service.config import ServiceConfig

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(ServiceConfig(model=model_path, data=tmp))
        allow, block = SETTINGS[0]
        resp = app.test_client().post("/filter", json={"items": texts, "allow": allow,
                                                       "block": block})
        close_app(app)
    got = np.array([r["decision"] for r in resp.get_json()["results"]])
    same = decisions(text_vectors, labels, vectors, DEFAULT_THRESHOLD)[0][0]
    print(f"\nREST /filter, first setting, default threshold: accuracy "
          f"{np.mean(got == expected(labels, allow, block)):.3f} (classify: {same:.3f})")


if __name__ == "__main__":
    sys.exit(main())
