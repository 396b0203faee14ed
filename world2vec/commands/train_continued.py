"""``world2vec train --init MODEL``: continue training an existing model on new text.

Kept apart from train.py (which wires the flags) because the run is different: the
dimension, tokenizer and subwords come from ``MODEL``, new words join its vocabulary,
known words move at ``--known-rate`` of the learning rate, and the sentence encoder,
object encoder and relations are carried over, so the new directory is a complete
model in the same space (docs/MODELS.md). ``MODEL`` is a model directory, or
``default`` for the bundled model; it is only read.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from world2vec.commands.errors import UsageError


def add_continued_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags only ``--init`` uses (train.py adds ``--init`` itself)."""
    parser.add_argument("--known-rate", type=float, default=0.1, metavar="R",
                        help="with --init: learning-rate scale of the words MODEL knows, 0..1 "
                             "(0 keeps them fixed; default: %(default)s)")
    parser.add_argument("--freeze-epochs", type=int, default=1, metavar="N",
                        help="with --init: first epochs in which only new words and the output "
                             "layer learn (default: %(default)s)")


def resolve_init(init: str) -> str | None:
    """The model directory ``--init`` names (None: the bundled model)."""
    if init == "default" and not os.path.isdir(init):
        return None
    if not os.path.isfile(os.path.join(init, "manifest.json")):
        raise UsageError(f"--init {init}: not a model directory (no manifest.json); "
                         "give a model directory or 'default' for the bundled model")
    return init


def run_continued(args: argparse.Namespace) -> int:
    if not 0.0 <= args.known_rate <= 1.0:
        raise UsageError("--known-rate must be between 0 and 1")
    if args.freeze_epochs < 0:
        raise UsageError("--freeze-epochs must be >= 0")
    base_path = resolve_init(args.init)

    from world2vec.embeddings import load_model
    from world2vec.embeddings.continued import CorpusError, continue_training
    from world2vec.embeddings.words.graph_walks import GraphError
    from world2vec.embeddings.words.vectors import ModelFormatError
    from world2vec.engine.checkpoint import CheckpointError

    started = time.perf_counter()
    try:
        base = load_model(base_path)
    except ModelFormatError as exc:
        raise UsageError(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="world2vec-train-") as tmp:
        events = os.path.join(tmp, "events.jsonl")
        try:
            model = continue_training(
                base, args.corpus, args.graph, min_count=args.min_count, epochs=args.epochs,
                window=args.window, negative=args.negative, sample=args.sample,
                alpha=args.alpha, mode=args.mode, known_rate=args.known_rate,
                freeze_epochs=args.freeze_epochs, threads=args.threads, seed=args.seed,
                events=events, checkpoint_dir=args.checkpoint_dir, progress=not args.quiet,
                name=args.name or os.path.basename(os.path.abspath(args.out)))
        except (CorpusError, GraphError, CheckpointError, ValueError) as exc:
            raise UsageError(str(exc)) from None
        try:
            path = model.save(args.out, dtype="float16" if args.float16 else "float32")
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc}") from None
    s = model.words.settings
    overlap = s["neighbour_overlap"]
    print(f"continued {base.name} ({s['continued_from']['words']:,} words) on "
          f"{s['corpus_tokens']:,} tokens: {s['new_words']:,} new words, {args.epochs} epochs, "
          f"final loss {s['final_loss']:.3f}; known words keep {overlap['mean']:.1%} of their "
          f"top-{overlap['k']} neighbours (mean over {overlap['words']:,}), "
          f"{time.perf_counter() - started:.1f} s total -> {path}")
    return 0
