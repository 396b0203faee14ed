"""``world2vec import`` / ``world2vec export``: word2vec text and binary files.

Moves vectors between world2vec model directories and gensim, fastText,
word2vec.c and GloVe (text, header optional on import) files.
"""

from __future__ import annotations

import argparse
import os

from world2vec.commands.errors import UsageError

FORMATS = ("word2vec-text", "word2vec-binary")


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("file", metavar="FILE", help="vectors file to import")
    parser.add_argument("--out", required=True, metavar="DIR", help="new model directory")
    parser.add_argument("--float16", action="store_true", help="store vectors as float16")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="DIR", help="model directory")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--out", required=True, metavar="FILE", help="file to write")


def run_import(args: argparse.Namespace) -> int:
    from world2vec.embeddings.words.formats import FormatError, read_vectors

    if not os.path.isfile(args.file):
        raise UsageError(f"file not found: {args.file}")
    if os.path.exists(args.out) and (not os.path.isdir(args.out) or os.listdir(args.out)):
        raise UsageError(f"{args.out} already exists and is not empty (choose a new --out)")
    try:
        wv = read_vectors(args.file, args.format)
    except FormatError as exc:
        raise UsageError(str(exc)) from None
    try:
        path = wv.save(args.out, dtype="float16" if args.float16 else "float32")
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc}") from None
    print(f"imported {len(wv.words):,} vectors x {wv.dim} dims from {args.file} -> {path}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from world2vec.embeddings.words.formats import write_vectors
    from world2vec.embeddings.words.vectors import ModelFormatError, WordVectors

    try:
        wv = WordVectors.load(args.model)
    except ModelFormatError as exc:
        raise UsageError(str(exc)) from None
    parent = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(parent):
        raise UsageError(f"folder does not exist: {parent}")
    if os.path.isdir(args.out):
        raise UsageError(f"{args.out} is a directory; give a file name")
    try:
        write_vectors(wv, args.out, args.format)
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"exported {len(wv.words):,} vectors x {wv.dim} dims ({args.format}) -> {args.out}")
    return 0
