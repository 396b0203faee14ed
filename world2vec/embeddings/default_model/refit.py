"""Relation transforms fitted in a model's space from WordNet pairs.

Why shared: both builds (the skip-gram default model and the distilled model built
on top of it) fit the same four transforms (``capital``, ``plural``, ``antonym``,
``adverb``) in their own space and keep, per relation, whichever of Procrustes or
least squares is better on 20 % held-out pairs; the final transform is refitted on
all pairs.
"""

from __future__ import annotations

import numpy as np

from world2vec.embeddings.default_model.relation_pairs import (
    adverb_pairs,
    antonym_pairs,
    capital_pairs,
    plural_pairs,
)
from world2vec.embeddings.default_model.wordnet import Synset
from world2vec.embeddings.relation_fitting import leave_one_out_accuracy
from world2vec.embeddings.relations import RelationTransform
from world2vec.embeddings.words.vectors import WordVectors


def split_pairs(pairs: list[tuple[str, str]], seed: int,
                test_share: float = 0.2) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pairs))
    cut = int(round(len(pairs) * (1 - test_share)))
    return [pairs[i] for i in order[:cut]], [pairs[i] for i in order[cut:]]


def refit_relations(wv: WordVectors, synsets: dict[tuple[str, int], Synset], wordnet_dir: str,
                    seed: int, log=None) -> tuple[dict[str, RelationTransform], dict]:
    """The transforms and a report of held-out accuracy per relation and method."""
    relations: dict[str, RelationTransform] = {}
    report: dict = {}
    known = lambda w: w in wv  # noqa: E731
    for name, found in (("capital", capital_pairs(synsets)),
                        ("plural", plural_pairs(synsets, known, wordnet_dir)),
                        ("antonym", antonym_pairs(synsets)),
                        ("adverb", adverb_pairs(synsets))):
        found = [(a, b) for a, b in found if a in wv and b in wv]
        if len(found) < 10:
            continue
        fit_pairs, test_pairs = split_pairs(found, seed)
        results = {}
        for method in ("procrustes", "linear"):
            t = RelationTransform.fit_words(name, wv, fit_pairs, method=method)
            acc, n = t.evaluate(wv, test_pairs[:500], k=1)
            acc10, _ = t.evaluate(wv, test_pairs[:500], k=10)
            results[method] = {"top1": round(acc, 4), "top10": round(acc10, 4), "n": n}
        best = max(results, key=lambda m: results[m]["top1"])
        relations[name] = RelationTransform.fit_words(name, wv, found, method=best)
        # the figure GET /relations lists, measured as for a user's relation
        relations[name].accuracy = leave_one_out_accuracy(wv, found, best)
        report[name] = {"pairs": len(found), "held_out": results, "method": best,
                        "leave_one_out_top5": round(relations[name].accuracy, 4)}
        if log is not None:
            log(f"relation {name}: {len(found)} pairs, held-out {results}")
    return relations, report
