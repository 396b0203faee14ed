"""``world2vec train``: word/concept vectors from a corpus (and a relation graph).

Thin wrapper over :func:`world2vec.embeddings.words.word2vec.train_word_vectors`:
argument checking with one-line errors, progress bars, a model directory with
its training log (``events.jsonl``), and a one-line summary.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from world2vec.commands.errors import UsageError
from world2vec.commands.train_continued import add_continued_arguments, run_continued

# Spelled out here rather than imported: importing world2vec.embeddings loads numba,
# and ``world2vec --help`` should not wait for it (a test checks they agree).
SUBWORD_MODES = ("fitted", "joint", "none")
BUCKETS_HELP = "20,000 for fitted, 200,000 for joint"


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value
    return parse


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


class _DeprecatedNoSubwords(argparse.Action):
    """``--no-subwords`` (before ``--subwords`` existed): sets ``none`` and says so on stderr."""

    def __call__(self, parser, namespace, values, option_string=None):
        print("world2vec train: --no-subwords is deprecated; use --subwords none", file=sys.stderr)
        setattr(namespace, self.dest, "none")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pos_int, pos_float = _positive(int), _positive(float)
    parser.add_argument("--corpus", required=True, metavar="FILE",
                        help="text, one sentence per line (plain or .gz); streamed")
    parser.add_argument("--graph", metavar="FILE",
                        help="relation triples head<TAB>relation<TAB>tail; random walks over "
                             "them train jointly with the text (default: text only)")
    parser.add_argument("--out", required=True, metavar="DIR", help="new model directory")
    parser.add_argument("--dim", type=pos_int, default=100,
                        help="vector dimensions (default: %(default)s)")
    parser.add_argument("--epochs", type=pos_int, default=5,
                        help="passes over the corpus (default: %(default)s)")
    parser.add_argument("--window", type=pos_int, default=5,
                        help="largest distance between a word and its context (default: %(default)s)")
    parser.add_argument("--negative", type=pos_int, default=5,
                        help="negative samples per positive pair (default: %(default)s)")
    parser.add_argument("--min-count", type=pos_int, default=5,
                        help="drop words rarer than this (default: %(default)s)")
    parser.add_argument("--max-vocab", type=pos_int, default=None, metavar="N",
                        help="keep the N most frequent words (default: no limit)")
    parser.add_argument("--sample", type=_non_negative_float, default=1e-3,
                        help="frequent-word subsampling threshold, 0: off (default: %(default)s)")
    parser.add_argument("--threads", type=pos_int, default=None, metavar="N",
                        help="training threads (default: all cores)")
    parser.add_argument("--mode", choices=("skipgram", "cbow"), default="skipgram",
                        help="training objective (default: %(default)s)")
    parser.add_argument("--alpha", type=pos_float, default=0.025,
                        help="initial learning rate (default: %(default)s)")
    parser.add_argument("--subwords", choices=SUBWORD_MODES, default="fitted",
                        help="character n-grams for unseen words: 'fitted' trains words as "
                             "word2vec does, then fits n-gram vectors to them; 'joint' trains "
                             "them with the words (fastText); 'none' has none "
                             "(default: %(default)s)")
    parser.add_argument("--no-subwords", dest="subwords", action=_DeprecatedNoSubwords, nargs=0,
                        help="deprecated: the same as --subwords none")
    parser.add_argument("--buckets", type=pos_int, default=None,
                        help=f"n-gram hash buckets (default: {BUCKETS_HELP})")
    parser.add_argument("--min-n", type=pos_int, default=3,
                        help="shortest character n-gram (default: %(default)s)")
    parser.add_argument("--max-n", type=pos_int, default=6,
                        help="longest character n-gram (default: %(default)s)")
    parser.add_argument("--phrases", action="store_true",
                        help="join frequent collocations first (new york -> new_york)")
    parser.add_argument("--walks-per-node", type=pos_int, default=10,
                        help="random walks started at each --graph node (default: %(default)s)")
    parser.add_argument("--walk-length", type=pos_int, default=8,
                        help="nodes per random walk (default: %(default)s)")
    parser.add_argument("--float16", action="store_true", help="store vectors as float16 (half size)")
    parser.add_argument("--seed", type=int, default=1,
                        help="random seed; the same seed and data give the same model "
                             "with one thread (default: %(default)s)")
    parser.add_argument("--name", default=None, help="model name (default: the --out folder name)")
    parser.add_argument("--checkpoint-dir", metavar="DIR", default=None,
                        help="write checkpoints here; rerunning the same command resumes "
                             "(default: no checkpoints)")
    parser.add_argument("--init", metavar="MODEL", default=None,
                        help="continue training MODEL (a model directory, or 'default') on the "
                             "corpus: new words join, known words keep their neighbourhoods")
    add_continued_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    if not os.path.isfile(args.corpus):
        raise UsageError(f"corpus file not found: {args.corpus}")
    if args.graph and not os.path.isfile(args.graph):
        raise UsageError(f"graph file not found: {args.graph}")
    if os.path.exists(args.out) and (not os.path.isdir(args.out) or os.listdir(args.out)):
        raise UsageError(f"{args.out} already exists and is not empty "
                         "(model directories are immutable; choose a new --out)")
    if args.min_n > args.max_n:
        raise UsageError("--min-n must not exceed --max-n")
    if args.init is not None:
        return run_continued(args)

    from world2vec.embeddings.words.corpus import CorpusError
    from world2vec.embeddings.words.graph_walks import GraphError
    from world2vec.embeddings.words.word2vec import train_word_vectors
    from world2vec.engine.checkpoint import CheckpointError

    started = time.perf_counter()
    progress = not args.quiet
    with tempfile.TemporaryDirectory(prefix="world2vec-train-") as tmp:
        events = os.path.join(tmp, "events.jsonl")
        try:
            wv = train_word_vectors(
                args.corpus, args.graph, dim=args.dim, window=args.window, negative=args.negative,
                min_count=args.min_count, max_vocab=args.max_vocab, sample=args.sample,
                epochs=args.epochs, threads=args.threads, mode=args.mode, alpha=args.alpha,
                subwords=args.subwords, min_n=args.min_n, max_n=args.max_n, buckets=args.buckets,
                walks_per_node=args.walks_per_node, walk_length=args.walk_length,
                phrases=args.phrases, seed=args.seed,
                events=events, checkpoint_dir=args.checkpoint_dir, progress=progress,
                name=args.name or os.path.basename(os.path.abspath(args.out)))
        except (CorpusError, GraphError, CheckpointError, ValueError) as exc:
            raise UsageError(str(exc)) from None
        try:
            path = wv.save(args.out, dtype="float16" if args.float16 else "float32")
        except (OSError, FileExistsError) as exc:
            raise UsageError(f"cannot write {args.out}: {exc}") from None
    s = wv.settings
    ngrams = "" if wv.ngrams is None else f" + {len(wv.ngrams):,} {args.subwords} n-gram buckets"
    print(f"trained {args.mode}: {len(wv.words):,} words x {wv.dim} dims{ngrams} from "
          f"{s['corpus_tokens']:,} tokens ({s['walk_tokens']:,} walk tokens), {args.epochs} epochs, "
          f"{s['words_per_second']:,} words/s, final loss {s['final_loss']:.3f}, "
          f"{time.perf_counter() - started:.1f} s total -> {path}")
    return 0
