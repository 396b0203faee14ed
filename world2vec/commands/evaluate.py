"""``world2vec eval``: analogy accuracy and word-similarity correlation of a model.

The public sets (Google's questions-words.txt, WordSim-353) are not bundled
with the package; pass their paths. Without ``--model`` the bundled default
model is evaluated. Prints one summary line per file.
"""

from __future__ import annotations

import argparse
import os

from world2vec.commands.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, metavar="DIR",
                        help="model directory (default: the bundled model)")
    parser.add_argument("--analogies", metavar="FILE",
                        help="analogy questions ('a b c d' lines, ': section' headers), "
                             "e.g. questions-words.txt")
    parser.add_argument("--similarity", metavar="FILE", nargs="+", action="extend",
                        help="word pairs with human scores, e.g. wordsim353.tsv")
    parser.add_argument("--restrict", type=int, default=30_000, metavar="N",
                        help="answer analogies among the N most frequent words "
                             "(default: %(default)s)")
    parser.add_argument("--sections", action="store_true", help="also print each analogy section")


def run(args: argparse.Namespace) -> int:
    if not args.analogies and not args.similarity:
        raise UsageError("nothing to evaluate: pass --analogies FILE (e.g. questions-words.txt) "
                         "and/or --similarity FILE ... (e.g. wordsim353.tsv)")
    if args.restrict < 1:
        raise UsageError("--restrict must be >= 1")
    for path in [args.analogies, *(args.similarity or [])]:
        if path and not os.path.isfile(path):
            raise UsageError(f"file not found: {path}")

    from world2vec.embeddings.words.evaluation import (
        EvaluationDataError,
        evaluate_analogies,
        evaluate_similarity,
    )
    from world2vec.embeddings.words.vectors import ModelFormatError, WordVectors
    from world2vec.paths import DEFAULT_MODEL_DIR

    try:
        wv = WordVectors.load(args.model if args.model is not None else DEFAULT_MODEL_DIR)
    except ModelFormatError as exc:
        raise UsageError(str(exc)) from None
    try:
        if args.analogies:
            res = evaluate_analogies(wv, args.analogies, restrict=args.restrict)
            if args.sections:
                for name, (answered, add, mul) in res.sections.items():
                    if answered:
                        print(f"  {name}: 3CosAdd {add / answered:.1%}  3CosMul {mul / answered:.1%}"
                              f"  ({answered} questions)")
            print(res.summary(f"analogies {os.path.basename(args.analogies)} "
                              f"(top {min(args.restrict, len(wv.words)):,} words)"))
        for path in args.similarity or []:
            print(evaluate_similarity(wv, path).summary(f"similarity {os.path.basename(path)}"))
    except EvaluationDataError as exc:
        raise UsageError(str(exc)) from None
    return 0
