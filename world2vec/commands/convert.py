"""``world2vec import`` / ``world2vec export``: word2vec text and binary files, and the projector.

Moves vectors between world2vec model directories and gensim, fastText,
word2vec.c and GloVe (text, header optional on import) files, gzip-compressed or
not; ``export --format projector`` writes the TSV files TensorBoard's embedding
projector reads. The formats themselves live in the embeddings layer
(``words/formats.py``, ``words/projector.py``); this module only checks paths and
reports.
"""

from __future__ import annotations

import argparse
import os

from world2vec.commands.errors import UsageError

FORMATS = ("word2vec-text", "word2vec-binary")
EXPORT_FORMATS = (*FORMATS, "projector")


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="file format (default: detected from the file)")
    parser.add_argument("file", metavar="FILE", help="vectors file to import (.gz read as such)")
    parser.add_argument("--out", required=True, metavar="DIR", help="new model directory")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="import only the first N vectors (the most frequent words)")
    parser.add_argument("--float16", action="store_true", help="store vectors as float16")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="DIR", help="model directory")
    parser.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    parser.add_argument("--out", required=True, metavar="PATH",
                        help="file to write (.gz compresses); for projector, a directory")


def run_import(args: argparse.Namespace) -> int:
    from world2vec.embeddings.words.formats import FormatError, detect_format, read_vectors

    if not os.path.isfile(args.file):
        raise UsageError(f"file not found: {args.file}")
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be >= 1")
    if os.path.exists(args.out) and (not os.path.isdir(args.out) or os.listdir(args.out)):
        raise UsageError(f"{args.out} already exists and is not empty (choose a new --out)")
    try:
        wv = read_vectors(args.file, args.format, limit=args.limit, progress=None)
    except FormatError as exc:
        hint = ""
        if args.format is not None:
            try:
                detected = detect_format(args.file)
            except FormatError:
                detected = args.format
            if detected != args.format:
                hint = f" (it looks like {detected}: leave out --format to detect it)"
        raise UsageError(f"{exc}{hint}") from None
    try:
        path = wv.save(args.out, dtype="float16" if args.float16 else "float32")
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc}") from None
    fmt = wv.settings.get("format", args.format)
    print(f"imported {len(wv.words):,} vectors x {wv.dim} dims ({fmt}) from {args.file} -> {path}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from world2vec.embeddings.words.formats import write_vectors
    from world2vec.embeddings.words.projector import write_projector
    from world2vec.embeddings.words.vectors import ModelFormatError, WordVectors

    try:
        wv = WordVectors.load(args.model)
    except ModelFormatError as exc:
        raise UsageError(str(exc)) from None
    parent = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(parent):
        raise UsageError(f"folder does not exist: {parent}")
    if args.format == "projector":
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise UsageError(f"{args.out} is a file; projector export writes into a directory")
    elif os.path.isdir(args.out):
        raise UsageError(f"{args.out} is a directory; give a file name")
    try:
        if args.format == "projector":
            paths = write_projector(wv.words, wv.vectors, args.out, name=wv.name, progress=None)
            target = f"{paths['vectors']}, {paths['metadata']}"
        else:
            write_vectors(wv, args.out, args.format, progress=None)
            target = args.out
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"exported {len(wv.words):,} vectors x {wv.dim} dims ({args.format}) -> {target}")
    return 0
